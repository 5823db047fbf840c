"""Serving attachments: only through here, only to who may see them, always as a download."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404

from .selectors import attachment_get_for_user


@login_required
def attachment_download(request, token: str):
    attachment = attachment_get_for_user(user=request.user, token=token)
    if attachment is None:
        raise Http404("No such attachment")
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,  # never rendered inline: an uploaded file must not run in our origin
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
