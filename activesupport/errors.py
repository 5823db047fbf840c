"""Error pages: the API answers in its own JSON error shape even when Django answers before any view
(a URL no route matches, a request it refuses to read)."""

from django.http import JsonResponse
from django.views.defaults import bad_request, page_not_found, permission_denied, server_error


def _api_error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"status": status, "code": code, "message": message}}, status=status)


def refused(request, exception=None):
    """A request Django refuses before any view: too many fields, a malformed body."""
    if request.path.startswith("/api/"):
        return _api_error(400, "bad_request", "The request could not be read (too large or malformed).")
    return bad_request(request, exception)


def forbidden(request, exception=None):
    if request.path.startswith("/api/"):
        return _api_error(403, "permission_denied", "Not allowed.")
    return permission_denied(request, exception)


def not_found(request, exception=None):
    if request.path.startswith("/api/"):
        return _api_error(404, "not_found", "Not found.")
    return page_not_found(request, exception)


def crashed(request):
    if request.path.startswith("/api/"):
        return _api_error(500, "server_error", "Something broke on our side.")
    return server_error(request)
