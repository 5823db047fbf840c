"""Tickets over the REST API: everything an agent or a customer does in the browser, through the same
services, so an API write lands in the same history (channel ``api``, the client as actor)."""

from __future__ import annotations

import json
from contextlib import contextmanager

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from accounts.models import Organisation, User
from activesupport.api import IDEMPOTENCY_HEADER, KeysetPagination, idempotent
from declarations.selectors import declaration_queryset_for_user

from .clocks import sla_explain
from .models import ResolutionProposal, Ticket, TicketActivity, TicketAttachment, TicketMessage
from .selectors import ticket_history_for_user, ticket_messages_for_user, ticket_queryset_for_user
from .services import (
    TicketError,
    TicketNotFound,
    proposal_create,
    proposal_decide,
    ticket_assign,
    ticket_open,
    ticket_reply,
    ticket_set_priority,
    ticket_transition,
)

API = Ticket.Channel.API


class TicketSerializer(serializers.ModelSerializer):
    class Meta:
        model = Ticket
        fields = [
            "id",
            "organisation",
            "subject",
            "description",
            "ticket_type",
            "priority",
            "status",
            "alert_kind",
            "customs_system",
            "suggested_resolution",
            "channel",
            "requester",
            "assignee",
            "sla_started_at",
            "sla_due_at",
            "sla_breached",
            "first_responded_at",
            "scope",
            "scope_reason",
            "created_at",
            "updated_at",
            "resolved_at",
        ]
        read_only_fields = fields


class TicketDetailSerializer(TicketSerializer):
    declarations = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    alerts = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    incidents = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "declarations", "alerts", "incidents"]
        read_only_fields = fields


class TicketCreateSerializer(serializers.Serializer):
    organisation = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.all(), required=False, help_text="Support staff only; a customer's is implied."
    )
    subject = serializers.CharField(max_length=300)
    description = serializers.CharField(allow_blank=True, required=False, default="", max_length=20000)
    ticket_type = serializers.ChoiceField(choices=Ticket.Type.choices, default=Ticket.Type.OTHER)
    priority = serializers.ChoiceField(choices=Ticket.Priority.choices, default=Ticket.Priority.NORMAL)
    customs_system = serializers.RegexField(
        r"^[A-Za-z0-9_-]*$",
        max_length=32,
        required=False,
        default="",
        allow_blank=True,
        help_text="CDS, PLDA, AES ...; blank takes the first referenced declaration's.",
    )
    declaration_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, default=list, max_length=1000
    )

    def validate(self, data):
        user = self.context["request"].user
        if user.is_support_staff:
            if "organisation" not in data:
                raise ValidationError({"organisation": ["support staff say which organisation the ticket is for"]})
            organisation_id = data["organisation"].pk
        else:
            if "organisation" in data and data["organisation"].pk != user.organisation_id:
                raise ValidationError({"organisation": ["a customer raises tickets for their own organisation only"]})
            organisation_id = user.organisation_id
        wanted = set(data["declaration_ids"])
        found = set(
            declaration_queryset_for_user(user=user)
            .filter(organisation_id=organisation_id, pk__in=wanted)
            .values_list("pk", flat=True)
        )
        if wanted - found:
            raise ValidationError({"declaration_ids": [f"no such declaration: {sorted(wanted - found)[:10]}"]})
        data["organisation_id"] = organisation_id
        return data


class AttachmentSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = TicketAttachment
        fields = ["id", "original_name", "content_type", "size", "sha256", "is_internal", "created_at", "download_url"]
        read_only_fields = fields

    def get_download_url(self, attachment: TicketAttachment) -> str:
        return f"/attachments/{attachment.token}/"


class MessageSerializer(serializers.ModelSerializer):
    attachments = serializers.SerializerMethodField()

    class Meta:
        model = TicketMessage
        fields = ["id", "author", "channel", "is_internal", "body", "created_at", "attachments"]
        read_only_fields = fields

    @extend_schema_field(AttachmentSerializer(many=True))
    def get_attachments(self, message: TicketMessage):
        return AttachmentSerializer(message.attachments.all(), many=True).data


class MessageCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=20000)
    internal = serializers.BooleanField(default=False, help_text="An internal note (support staff only).")


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    body = serializers.CharField(max_length=20000, required=False, default="Attachment")
    internal = serializers.BooleanField(default=False)


class TransitionSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Ticket.Status.choices)
    reason = serializers.CharField(max_length=500, required=False, default="", allow_blank=True)


class AssignSerializer(serializers.Serializer):
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(role__in=User.STAFF_ROLES, is_active=True), allow_null=True
    )


class PrioritySerializer(serializers.Serializer):
    priority = serializers.ChoiceField(choices=Ticket.Priority.choices)


class ProposalSerializer(serializers.ModelSerializer):
    class Meta:
        model = ResolutionProposal
        fields = [
            "id",
            "ticket",
            "proposed_by",
            "summary",
            "action",
            "action_detail",
            "status",
            "created_at",
            "decided_by",
            "decided_at",
            "decision_note",
            "carried_out_by",
            "carried_out_at",
        ]
        read_only_fields = fields


class StorableObject(serializers.DictField):
    """A JSON object the database can store: PostgreSQL's jsonb refuses NUL characters and text that is
    not valid Unicode (lone surrogates), so those are a 400 here, not an error at save time."""

    MAX_LENGTH = 10000

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        text = json.dumps(value, ensure_ascii=False)
        if "\\u0000" in json.dumps(value):
            raise ValidationError("must not contain NUL characters")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise ValidationError("must be valid Unicode text") from None
        if len(text) > self.MAX_LENGTH:
            raise ValidationError(f"at most {self.MAX_LENGTH} characters of JSON")
        return value


class ProposalCreateSerializer(serializers.Serializer):
    summary = serializers.CharField(max_length=5000)
    action = serializers.ChoiceField(choices=ResolutionProposal.Action.choices, required=False, default="")
    action_detail = StorableObject(required=False, default=dict)


class DecisionSerializer(serializers.Serializer):
    accept = serializers.BooleanField()
    note = serializers.CharField(max_length=2000, required=False, default="", allow_blank=True)


class ActivitySerializer(serializers.ModelSerializer):
    class Meta:
        model = TicketActivity
        fields = ["id", "at", "channel", "actor", "action", "detail"]
        read_only_fields = fields


class SlaMetricSerializer(serializers.Serializer):
    metric = serializers.CharField()
    label = serializers.CharField()
    target_minutes = serializers.IntegerField(allow_null=True)
    status = serializers.CharField()
    started_at = serializers.DateTimeField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)
    fulfilled_at = serializers.DateTimeField(allow_null=True)
    breached_at = serializers.DateTimeField(allow_null=True)
    elapsed_minutes = serializers.FloatField()
    remaining_minutes = serializers.FloatField()
    pauses = serializers.ListField(child=serializers.DictField())


class SlaSerializer(serializers.Serializer):
    policy = serializers.CharField()
    policy_version = serializers.IntegerField(allow_null=True)
    calendar = serializers.CharField()
    calendar_version = serializers.IntegerField(allow_null=True)
    time_zone = serializers.CharField()
    metrics = SlaMetricSerializer(many=True)


class TicketFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Ticket.Status.choices)
    priority = django_filters.ChoiceFilter(choices=Ticket.Priority.choices)
    ticket_type = django_filters.ChoiceFilter(choices=Ticket.Type.choices)
    scope = django_filters.ChoiceFilter(choices=Ticket.Scope.choices)
    organisation = django_filters.NumberFilter(field_name="organisation_id")
    assignee = django_filters.NumberFilter(field_name="assignee_id")
    alert_kind = django_filters.CharFilter()
    customs_system = django_filters.CharFilter(lookup_expr="iexact")
    sla_breached = django_filters.BooleanFilter()
    open = django_filters.BooleanFilter(method="only_open")

    class Meta:
        model = Ticket
        fields = []

    def only_open(self, queryset, name, value):
        return (
            queryset.filter(status__in=Ticket.OPEN_STATUSES)
            if value
            else queryset.exclude(status__in=Ticket.OPEN_STATUSES)
        )


@contextmanager
def service_errors():
    """A refusal of the ticket services as an API answer: 404 for another organisation's ticket, else 400."""
    try:
        yield
    except TicketNotFound as error:
        raise NotFound() from error
    except TicketError as error:
        raise ValidationError({"non_field_errors": [str(error)]}) from error


class TicketViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Ticket.objects.none()  # for the schema; get_queryset decides
    lookup_value_regex = r"[0-9]+"
    pagination_class = KeysetPagination
    filterset_class = TicketFilter
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def get_queryset(self):
        return ticket_queryset_for_user(user=self.request.user)

    def get_serializer_class(self):
        if self.action == "create":
            return TicketCreateSerializer
        return TicketDetailSerializer if self.action == "retrieve" else TicketSerializer

    @extend_schema(
        request=TicketCreateSerializer, responses={201: TicketDetailSerializer}, parameters=[IDEMPOTENCY_HEADER]
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        """Raise a ticket. A customer's is for their own organisation; referenced declarations must be theirs."""
        form = TicketCreateSerializer(data=request.data, context={"request": request})
        form.is_valid(raise_exception=True)
        data = form.validated_data
        with service_errors():
            ticket = ticket_open(
                organisation_id=data["organisation_id"],
                subject=data["subject"],
                description=data["description"],
                channel=API,
                ticket_type=data["ticket_type"],
                priority=data["priority"],
                customs_system=data["customs_system"],
                requester=request.user,
                declaration_ids=data["declaration_ids"],
            )
        ticket = Ticket.objects.get(pk=ticket.pk)
        return Response(TicketDetailSerializer(ticket).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["get"], responses=MessageSerializer(many=True))
    @extend_schema(
        methods=["post"],
        request=MessageCreateSerializer,
        responses={201: MessageSerializer},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @action(detail=True, methods=["get", "post"], filterset_class=None, pagination_class=None)
    @idempotent
    def messages(self, request, pk=None):
        """The conversation (a customer sees no internal notes); POST a reply or, for staff, a note."""
        ticket = self.get_object()
        if request.method == "GET":
            messages = ticket_messages_for_user(ticket=ticket, user=request.user)
            return Response(MessageSerializer(messages, many=True).data)
        form = MessageCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        with service_errors():
            message = ticket_reply(
                ticket=ticket,
                author=request.user,
                body=form.validated_data["body"],
                internal=form.validated_data["internal"],
                channel=API,
            )
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={201: MessageSerializer},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @action(detail=True, methods=["post"], filterset_class=None, parser_classes=[MultiPartParser, FormParser])
    @idempotent
    def attachments(self, request, pk=None):
        """Attach a file (checked by size and content), as a message of its own."""
        ticket = self.get_object()
        form = AttachmentUploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        with service_errors():
            message = ticket_reply(
                ticket=ticket,
                author=request.user,
                body=form.validated_data["body"],
                internal=form.validated_data["internal"],
                files=[form.validated_data["file"]],
                channel=API,
            )
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TransitionSerializer, responses=TicketDetailSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def transition(self, request, pk=None):
        """Move the ticket to another status (support staff; a customer may close or reopen a resolved one)."""
        ticket = self.get_object()
        form = TransitionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        with service_errors():
            ticket_transition(ticket=ticket, actor=request.user, channel=API, **form.validated_data)
        return Response(TicketDetailSerializer(Ticket.objects.get(pk=ticket.pk)).data)

    @extend_schema(request=AssignSerializer, responses=TicketDetailSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def assign(self, request, pk=None):
        """Assign to a support agent, or to nobody (support staff)."""
        ticket = self.get_object()
        form = AssignSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        with service_errors():
            ticket_assign(ticket=ticket, assignee=form.validated_data["assignee"], actor=request.user, channel=API)
        return Response(TicketDetailSerializer(Ticket.objects.get(pk=ticket.pk)).data)

    @extend_schema(request=PrioritySerializer, responses=TicketDetailSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def priority(self, request, pk=None):
        """Change the priority (support staff); the SLA deadlines are recomputed from the clock rows."""
        ticket = self.get_object()
        form = PrioritySerializer(data=request.data)
        form.is_valid(raise_exception=True)
        with service_errors():
            ticket_set_priority(
                ticket=ticket, priority=form.validated_data["priority"], actor=request.user, channel=API
            )
        return Response(TicketDetailSerializer(Ticket.objects.get(pk=ticket.pk)).data)

    @extend_schema(methods=["get"], responses=ProposalSerializer(many=True))
    @extend_schema(
        methods=["post"],
        request=ProposalCreateSerializer,
        responses={201: ProposalSerializer},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @action(detail=True, methods=["get", "post"], filterset_class=None, pagination_class=None)
    @idempotent
    def proposals(self, request, pk=None):
        """Proposed resolutions; POST proposes one (support staff), and the ticket waits for the customer."""
        ticket = self.get_object()
        if request.method == "GET":
            proposals = ResolutionProposal.objects.filter(ticket=ticket)
            return Response(ProposalSerializer(proposals, many=True).data)
        form = ProposalCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        with service_errors():
            proposal = proposal_create(ticket=ticket, agent=request.user, channel=API, **form.validated_data)
        return Response(ProposalSerializer(proposal).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=DecisionSerializer, responses=ProposalSerializer)
    @action(detail=True, methods=["post"], filterset_class=None, url_path=r"proposals/(?P<proposal_id>\d+)/decision")
    def decide(self, request, pk=None, proposal_id=None):
        """The customer accepts or rejects a proposed resolution."""
        ticket = self.get_object()
        proposal = ResolutionProposal.objects.filter(ticket=ticket, pk=proposal_id).first()
        if proposal is None:
            raise NotFound()
        form = DecisionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        with service_errors():
            proposal = proposal_decide(
                proposal=proposal,
                customer=request.user,
                accept=form.validated_data["accept"],
                note=form.validated_data["note"],
                channel=API,
            )
        return Response(ProposalSerializer(proposal).data)

    @extend_schema(responses=ActivitySerializer(many=True))
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def history(self, request, pk=None):
        """Every change, from every channel (a customer's view leaves out internal rows)."""
        ticket = self.get_object()
        return Response(ActivitySerializer(ticket_history_for_user(ticket=ticket, user=request.user), many=True).data)

    @extend_schema(responses=SlaSerializer)
    @action(detail=True, methods=["get"], filterset_class=None)
    def sla(self, request, pk=None):
        """The SLA timeline: each clock's target, deadline, time counted and pauses, with the versions used."""
        ticket = self.get_object()
        explained = sla_explain(ticket)
        return Response(
            SlaSerializer(
                {
                    "policy": explained.policy,
                    "policy_version": explained.policy_version,
                    "calendar": explained.calendar,
                    "calendar_version": explained.calendar_version,
                    "time_zone": explained.time_zone,
                    "metrics": [
                        {
                            "metric": metric.metric,
                            "label": str(metric.label),
                            "target_minutes": int(metric.target.total_seconds() // 60) if metric.target else None,
                            "status": metric.status,
                            "started_at": metric.started_at,
                            "due_at": metric.due_at,
                            "fulfilled_at": metric.fulfilled_at,
                            "breached_at": metric.breached_at,
                            "elapsed_minutes": metric.elapsed.total_seconds() / 60,
                            "remaining_minutes": metric.remaining.total_seconds() / 60,
                            "pauses": [
                                {"start": pause.start, "end": pause.end, "reason": pause.reason}
                                for pause in metric.pauses
                            ],
                        }
                        for metric in explained.metrics
                    ],
                }
            ).data
        )
