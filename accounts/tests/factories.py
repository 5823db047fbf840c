import factory

from accounts.models import Organisation, User


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Importer {n} NV")
    cas_tenant_id = factory.Sequence(lambda n: f"tenant-{n}")
    support_plan = Organisation.SupportPlan.ACTIVE


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    organisation = factory.SubFactory(OrganisationFactory)
    role = User.Role.CUSTOMER_USER
    password = factory.django.Password("correct horse battery staple")


class AgentFactory(UserFactory):
    organisation = None
    role = User.Role.AGENT
