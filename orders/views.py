"""Pages of the orders app: sign-in, the role-aware home, the user's time zone.

The order list and the manager's dashboard are `scheduling.views_orders` (they read the
schedule), the customer portal `quoting.views_portal` (it asks for earlier dates); apps depend
one way (docs/layers.md).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from orders import services as orders_services
from orders.forms import SignInForm, TimeZoneForm
from orders.page_access import NAVIGATION, page_user
from orders.selectors import profile_of, role_of


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True
    authentication_form = SignInForm


logout = auth_views.LogoutView.as_view()


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role lands on its first page; a user without a role is told so (no page is theirs)."""
    role = role_of(request.user)
    if role in NAVIGATION:
        return redirect(NAVIGATION[role][0][0])
    return render(request, "orders/no_role.html", status=403)


@login_required
def account_time_zone(request: HttpRequest) -> HttpResponse:
    """The user picks the time zone its pages show (post/redirect/get)."""
    profile = profile_of(request.user)
    if profile is None:
        return render(request, "orders/no_role.html", status=403)
    if request.method == "POST":
        form = TimeZoneForm(request.POST)
        if form.is_valid():
            try:
                orders_services.profile_time_zone_set(
                    user=page_user(request), time_zone=form.cleaned_data["time_zone"]
                )
            except ValidationError as exc:
                form.add_error("time_zone", exc.messages)
            else:
                messages.success(request, "Saved: times are now shown in the zone you chose.")
                return redirect("account-time-zone")
        return render(request, "orders/account_time_zone.html", {"form": form}, status=400)
    form = TimeZoneForm(initial={"time_zone": profile.time_zone})
    return render(request, "orders/account_time_zone.html", {"form": form})
