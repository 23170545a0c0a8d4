"""Input and output of the shop-floor API (downtimes, operation started / finished).

Input validation only: each request is recorded by the same service as the shop-floor page
(`scheduling.services.shop_floor`), which re-validates every promise."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from scheduling.models import WorkCenter, WorkCenterDowntime


class DowntimeSerializer(serializers.ModelSerializer):
    work_center_code = serializers.CharField(source="work_center.code", read_only=True)

    class Meta:
        model = WorkCenterDowntime
        fields = ["id", "work_center", "work_center_code", "start", "end", "reason", "created_at"]
        read_only_fields = fields


class DowntimeCreateSerializer(serializers.Serializer):
    work_center = serializers.PrimaryKeyRelatedField(queryset=WorkCenter.objects.all())
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    reason = serializers.CharField(max_length=200)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError({"end": "The end must be after the start."})
        return attrs


class DowntimeChangeSerializer(serializers.Serializer):
    """A PATCH: any of start, end (earlier than recorded: the machine is back early), reason."""

    start = serializers.DateTimeField(required=False)
    end = serializers.DateTimeField(required=False)
    reason = serializers.CharField(max_length=200, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError("Give at least one of start, end, reason.")
        return attrs


class OperationStartSerializer(serializers.Serializer):
    work_center = serializers.PrimaryKeyRelatedField(
        queryset=WorkCenter.objects.all(),
        required=False,
        help_text="Where it started; the work center it is planned on when left out.",
    )
    at = serializers.DateTimeField(required=False, help_text="When it started; now if left out.")


class OperationFinishSerializer(serializers.Serializer):
    at = serializers.DateTimeField(required=False, help_text="When it finished; now if left out.")


class ShopFloorOutcomeSerializer(serializers.Serializer):
    """What the event did to the promises."""

    message = serializers.CharField()
    schedule_version = serializers.IntegerField(
        allow_null=True, help_text="The new current version's number; null when none was committed."
    )
    board_broken = serializers.BooleanField(
        help_text="The current version no longer fits reality (no schedule keeping every "
        "promise was found); the orders' outlook comes from the engine's projection."
    )
    at_risk = serializers.ListField(child=serializers.CharField())


class DowntimeOutcomeSerializer(serializers.Serializer):
    downtime = DowntimeSerializer()
    outcome = ShopFloorOutcomeSerializer()
