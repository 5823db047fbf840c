"""Customer admins manage their organisation's users (accounts.services, the portal's user pages): adding
someone who then sets their own password from the emailed link, editing, and the refusals: a customer
user, another organisation's user, an admin demoting or deactivating themselves, the last admin, a
username already taken."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import User
from accounts.services import AccountError, organisation_user_add, organisation_user_update
from accounts.tests.factories import AgentFactory, OrganisationFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

NEW_USER = {
    "username": "carol",
    "email": "carol@alpha.example",
    "first_name": "Carol",
    "last_name": "Peeters",
    "role": User.Role.CUSTOMER_USER,
    "time_zone": "Europe/London",
}


@pytest.fixture
def org_a():
    return OrganisationFactory(name="Alpha Imports")


@pytest.fixture
def admin(org_a):
    return UserFactory(organisation=org_a, role=User.Role.CUSTOMER_ADMIN, username="anna", email="anna@alpha.example")


@pytest.fixture
def colleague(org_a):
    return UserFactory(organisation=org_a, username="ben", email="ben@alpha.example")


@pytest.fixture
def stranger():
    return UserFactory(organisation=OrganisationFactory(name="Beta Exports"), username="bruno")


def edit_data(user: User, **changes) -> dict:
    data = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email or "someone@example.com",
        "role": user.role,
        "time_zone": str(user.time_zone),
        "is_active": "on" if user.is_active else "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value != ""}


# --- Adding a user -----------------------------------------------------------------------------------


def test_an_admin_adds_a_user_who_sets_a_password_from_the_emailed_link(
    client, admin, django_capture_on_commit_callbacks
):
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("portal-user-new"), NEW_USER)
    assert response.status_code == 302 and response["Location"] == reverse("portal-users")

    carol = User.objects.get(username="carol")
    assert (carol.organisation_id, carol.role, str(carol.time_zone)) == (
        admin.organisation_id,
        User.Role.CUSTOMER_USER,
        "Europe/London",
    )
    assert not carol.has_usable_password()
    [email] = mail.outbox
    assert email.to == ["carol@alpha.example"] and "carol" in email.body and "Alpha Imports" in email.subject
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", email.body).group(1)

    # The link works: the new user chooses a password and signs in with it.
    client.logout()
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200 and form_page.context["validlink"]
    set_password_url = form_page.redirect_chain[-1][0]
    done = client.post(
        set_password_url, {"new_password1": "Brussels-harbour-42", "new_password2": "Brussels-harbour-42"}
    )
    assert done["Location"] == reverse("password_reset_complete")
    assert "Password saved" in client.get(done["Location"]).content.decode()
    carol.refresh_from_db()
    assert carol.check_password("Brussels-harbour-42")
    # The link is spent once used.
    assert not client.get(link, follow=True).context["validlink"]


def test_the_users_list_shows_only_the_organisations_people(client, admin, colleague, stranger):
    AgentFactory(username="agent-with-an-org", organisation=admin.organisation)  # staff never listed
    client.force_login(admin)
    html = client.get(reverse("portal-users")).content.decode()
    assert "anna" in html and "ben@alpha.example" in html
    assert "bruno" not in html and "agent-with-an-org" not in html


def test_a_username_already_taken_is_a_form_error_not_a_crash(client, admin, stranger):
    client.force_login(admin)
    response = client.post(reverse("portal-user-new"), {**NEW_USER, "username": "BRUNO"})
    assert response.status_code == 200
    assert "This username is taken" in response.context["form"].errors["username"][0]
    assert not mail.outbox and User.objects.filter(username__iexact="bruno").count() == 1


def test_an_admin_gives_no_staff_role(admin):
    with pytest.raises(AccountError):
        organisation_user_add(by=admin, site_url="http://testserver", **{**NEW_USER, "role": User.Role.AGENT})
    assert not User.objects.filter(username="carol").exists()


def test_the_form_offers_only_the_customer_roles(client, admin):
    client.force_login(admin)
    response = client.post(reverse("portal-user-new"), {**NEW_USER, "role": User.Role.SUPPORT_ADMIN})
    assert "role" in response.context["form"].errors
    assert not User.objects.filter(username="carol").exists()


# --- Who may ---------------------------------------------------------------------------------------


def test_a_customer_user_is_refused(client, colleague, admin):
    client.force_login(colleague)
    assert client.get(reverse("portal-users")).status_code == 403
    assert client.get(reverse("portal-user-new")).status_code == 403
    assert client.post(reverse("portal-user-new"), NEW_USER).status_code == 403
    response = client.post(reverse("portal-user-edit", args=[admin.pk]), edit_data(admin, role="customer_user"))
    assert response.status_code == 403
    admin.refresh_from_db()
    assert admin.role == User.Role.CUSTOMER_ADMIN and not User.objects.filter(username="carol").exists()


def test_another_organisations_user_is_not_found(client, admin, stranger):
    client.force_login(admin)
    url = reverse("portal-user-edit", args=[stranger.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, edit_data(stranger, is_active="")).status_code == 404
    assert client.post(url, {"action": "send-link"}).status_code == 404
    stranger.refresh_from_db()
    assert stranger.is_active and not mail.outbox


def test_support_staff_are_sent_to_their_own_pages(client):
    client.force_login(AgentFactory())
    assert client.get(reverse("portal-users"))["Location"] == reverse("ticket-queue")


# --- Editing ---------------------------------------------------------------------------------------


def test_an_admin_promotes_and_deactivates_a_colleague(client, admin, colleague):
    client.force_login(admin)
    url = reverse("portal-user-edit", args=[colleague.pk])
    response = client.post(url, edit_data(colleague, role="customer_admin", first_name="Ben", time_zone="UTC"))
    assert response["Location"] == reverse("portal-users")
    colleague.refresh_from_db()
    assert (colleague.role, colleague.first_name, str(colleague.time_zone)) == ("customer_admin", "Ben", "UTC")

    client.post(url, edit_data(colleague, is_active=""))
    colleague.refresh_from_db()
    assert not colleague.is_active


@pytest.mark.parametrize(("change", "field"), [({"role": "customer_user"}, "role"), ({"is_active": ""}, "is_active")])
def test_an_admin_cannot_demote_or_deactivate_themselves(client, admin, colleague, change, field):
    client.force_login(admin)
    response = client.post(reverse("portal-user-edit", args=[admin.pk]), edit_data(admin, **change))
    assert response.status_code == 200
    assert "You cannot remove your own admin rights" in response.context["form"].errors[field][0]
    admin.refresh_from_db()
    assert admin.role == User.Role.CUSTOMER_ADMIN and admin.is_active


def test_two_admins_demoting_each_other_at_once_leave_one_admin(admin, org_a):
    other_admin = UserFactory(organisation=org_a, role=User.Role.CUSTOMER_ADMIN, email="o@alpha.example")
    fields = {"first_name": "", "last_name": "", "time_zone": "UTC", "is_active": True}
    organisation_user_update(by=admin, user=other_admin, role="customer_user", email="o@alpha.example", **fields)
    # The other admin's request began before that: its user still says admin. Read again under the
    # organisation's lock, it is not one any more, and the organisation keeps its last admin.
    other_admin.role = User.Role.CUSTOMER_ADMIN
    with pytest.raises(AccountError):
        organisation_user_update(by=other_admin, user=admin, role="customer_user", email="a@alpha.example", **fields)
    admin.refresh_from_db()
    assert admin.role == User.Role.CUSTOMER_ADMIN and admin.is_active


def test_an_admin_sends_a_new_password_link(client, admin, colleague, django_capture_on_commit_callbacks):
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("portal-user-edit", args=[colleague.pk]), {"action": "send-link"})
    assert response["Location"] == reverse("portal-user-edit", args=[colleague.pk])
    [email] = mail.outbox
    assert email.to == ["ben@alpha.example"] and "/accounts/reset/" in email.body
