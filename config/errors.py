"""Error pages that say what happened in plain words, never a traceback."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.views.decorators.csrf import requires_csrf_token


def _page(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    try:
        body = render_to_string("error.html", {"title": title, "message": message}, request=request)
    except Exception:  # the error page itself must never fail
        body = f"<h1>{title}</h1><p>{message}</p>"
    return HttpResponse(body, status=status)


def _reason(exception: Exception | None, default: str) -> str:
    text = str(exception) if exception else ""
    # Django's own resolver messages are dicts/paths: not for users.
    return text if text and not text.startswith(("{", "Resolver404")) and len(text) < 300 else default


@requires_csrf_token
def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 400, "Bad request", "The request could not be understood. Go back and try again.")


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 403, "Not allowed", _reason(exception, "You do not have access to this page."))


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 404, "Not found", "There is nothing here, or you do not have access to it.")


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    return _page(request, 500, "Something went wrong",
                 "The error has been logged. Please try again in a moment.")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _page(request, 403, "Form expired or tampered with",
                 "The form could not be verified (missing or wrong security token). "
                 "Reload the page and submit it again.")
