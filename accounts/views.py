"""The signed-in person's own settings: how they are named and which time zone pages speak."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone

from .models import User


class AccountSettingsForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["first_name", "last_name", "time_zone"]
        help_texts = {"time_zone": "Times on every page are shown in this zone; hover one to see it in UTC."}


@login_required
def account_settings(request):
    form = AccountSettingsForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Saved. Times are now shown in your time zone.")
        return redirect("account-settings")
    return render(request, "accounts/settings.html", {"form": form, "now": timezone.now()})
