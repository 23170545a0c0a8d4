"""Read-only representations of customers, products, the API token and the signed-in user for
the REST API. Orders, with their projection on the schedule, are `scheduling.serializers`."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from orders.models import Customer, Product, RoutingStep


class ApiTokenSerializer(serializers.Serializer):
    """The answer of POST /api/auth/token/: send `Authorization: Token <token>` until `expires`."""

    token = serializers.CharField(source="key")
    expires = serializers.DateTimeField()


class CustomerSerializer(serializers.ModelSerializer):
    # Optional on the model (blank when unknown): a plain string in the schema, since "" is not
    # an e-mail address and the API returns it as stored.
    email = serializers.CharField(read_only=True, help_text="E-mail address, empty when unknown")

    class Meta:
        model = Customer
        fields = ["id", "code", "name", "email"]
        read_only_fields = fields


class RoutingStepSerializer(serializers.ModelSerializer):
    # Work centers are scheduling's models; orders sits below it and does not import them.
    work_centers: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="code", many=True, read_only=True
    )

    class Meta:
        model = RoutingStep
        fields = ["sequence", "name", "work_centers", "setup_minutes", "run_minutes_per_unit"]
        read_only_fields = fields


class ProductSerializer(serializers.ModelSerializer):
    routing = RoutingStepSerializer(many=True, read_only=True)

    class Meta:
        model = Product
        fields = ["id", "code", "name", "description", "routing"]
        read_only_fields = fields


class MeSerializer(serializers.Serializer):
    username = serializers.CharField(read_only=True)
    role = serializers.CharField(read_only=True, allow_null=True)
    customer = CustomerSerializer(read_only=True, allow_null=True)
