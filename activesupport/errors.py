"""Error pages: the API answers in its own JSON error shape even for a URL no route matches."""

from django.http import JsonResponse
from django.views.defaults import page_not_found, server_error


def not_found(request, exception=None):
    if request.path.startswith("/api/"):
        return JsonResponse({"error": {"status": 404, "code": "not_found", "message": "Not found."}}, status=404)
    return page_not_found(request, exception)


def crashed(request):
    if request.path.startswith("/api/"):
        body = {"error": {"status": 500, "code": "server_error", "message": "Something broke on our side."}}
        return JsonResponse(body, status=500)
    return server_error(request)
