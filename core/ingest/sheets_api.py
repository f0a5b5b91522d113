"""Calls to the Google Sheets API: bounded backoff on 429/5xx, Retry-After honoured within a budget, and
failures translated into named errors whose message says what to fix.

gspread's own `BackOffHTTPClient` retries a persistent 429 forever (gspread 6.2.1), so every call goes
through `call_with_backoff`, which gives up after a bounded number of attempts, or at once when Google
asks for a wait longer than the budget (and says when to try again).
"""

import email.utils
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gspread
import pandas as pd
import requests
from gspread.exceptions import APIError

from core.errors import (
    SheetAccessDenied,
    SheetAuthFailed,
    SheetNotFound,
    SheetQuotaExceeded,
    SheetsError,
    SheetUnavailable,
    WorksheetNotFound,
)
from core.timeline import present

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass
class Backoff:
    """Bounded exponential backoff: `attempts` tries, waits of base, 2·base, 4·base … capped at `cap` s."""

    attempts: int = 5
    base: float = 1.0
    cap: float = 32.0
    sleep: Callable[[float], None] = time.sleep
    # The longest one call may spend waiting in all: a Retry-After beyond what is left of it ends the call at once.
    budget: float = 60.0

    def delay(self, attempt: int, retry_after: str | None = None) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based); a Retry-After header wins."""
        if retry_after:
            try:
                return min(float(retry_after), self.cap)
            except ValueError:
                pass
        return min(self.base * 2 ** (attempt - 1), self.cap)


def call_with_backoff(call: Callable[[], Any], *, backoff: Backoff | None = None, what: str = "Google Sheets",
                      client: gspread.Client | None = None, spreadsheet_key: str | None = None) -> Any:
    """Run one API call, retrying 429 and 5xx with bounded backoff; other failures become named errors."""
    backoff = backoff or Backoff()
    waited = 0.0
    last: Exception | None = None
    for attempt in range(1, backoff.attempts + 1):
        try:
            return call()
        except APIError as exc:
            status = exc.response.status_code
            if status not in RETRY_STATUSES and not _is_rate_limit(exc):
                raise translate_error(exc, client=client, spreadsheet_key=spreadsheet_key, what=what) from exc
            last = exc
            retry_after = exc.response.headers.get("Retry-After")
        except requests.JSONDecodeError as exc:  # before ConnectionError: it is a RequestException too
            raise SheetUnavailable(
                f"{what}: Google Sheets answered with something that is not Sheets data (not JSON: a sign-in or "
                "proxy page, perhaps); nothing was stored. Check the network or proxy, then sync again.") from exc
        except (requests.ConnectionError, requests.Timeout) as exc:
            last, retry_after = exc, None
        except _auth_errors() as exc:
            raise SheetAuthFailed(
                f"Google refused the service account credentials ({exc}). Check [gcp_service_account] in "
                ".streamlit/secrets.toml or the GOOGLE_APPLICATION_CREDENTIALS file: the key may have been "
                "deleted or revoked.") from exc
        asked = retry_after_seconds(retry_after)
        if asked is not None and asked > backoff.budget - waited:
            raise SheetQuotaExceeded(f"{what}: {asked_to_wait(asked)} Nothing was stored.") from last
        if attempt < backoff.attempts:
            delay = backoff.delay(attempt, retry_after)
            waited += delay
            backoff.sleep(delay)
    if isinstance(last, APIError) and (last.response.status_code == 429 or _is_rate_limit(last)):
        raise SheetQuotaExceeded(
            f"{what}: Google Sheets quota exceeded; still refused after {backoff.attempts} attempts over "
            f"{waited:.0f} s. Sheets allows about 60 reads per minute per user: wait a minute and sync again, "
            "or sync fewer sources at once.") from last
    detail = f"HTTP {last.response.status_code}" if isinstance(last, APIError) else str(last)
    raise SheetUnavailable(f"{what}: Google Sheets did not answer properly ({detail}) after {backoff.attempts} "
                           "attempts. Try again in a few minutes.") from last


def retry_after_seconds(value: str | None) -> float | None:
    """A Retry-After header in seconds (it is a number of seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max((pd.Timestamp(when).tz_convert("UTC") - present()).total_seconds(), 0.0)


def asked_to_wait(seconds: float) -> str:
    """'Google Sheets asked us to wait 60 minutes; try again after 13:00 UTC.' (a later day is named)."""
    wait = f"{math.ceil(seconds / 60):,} minutes" if seconds >= 120 else f"{math.ceil(seconds):,} seconds"
    now = present()
    after = (now + pd.Timedelta(seconds=seconds)).ceil("min")
    when = after.strftime("%H:%M UTC") if after.date() == now.date() else after.strftime("%a %-d %b, %H:%M UTC")
    return f"Google Sheets asked us to wait {wait}; try again after {when}."


def _auth_errors() -> tuple[type[Exception], ...]:
    from google.auth.exceptions import RefreshError, TransportError

    return (RefreshError, TransportError)


def _is_rate_limit(exc: APIError) -> bool:
    # Older quota errors come as 403 with a rate-limit reason.
    if exc.response.status_code != 403:
        return False
    text = json.dumps(exc.error).lower()
    return "ratelimitexceeded" in text or "rate_limit_exceeded" in text or "quota" in text and "exceeded" in text


def service_account_email(client: gspread.Client | None) -> str | None:
    """The service account's email, if the client was built from one."""
    auth = getattr(getattr(client, "http_client", None), "auth", None)
    return getattr(auth, "service_account_email", None)


def translate_error(exc: APIError, *, client: gspread.Client | None = None, spreadsheet_key: str | None = None,
                    what: str = "Google Sheets") -> SheetsError:
    """A Sheets API error as a named error whose message says what to fix."""
    status = exc.response.status_code
    message = str(exc.error.get("message", ""))
    key = spreadsheet_key or "?"
    account = service_account_email(client) or "the service account"
    if status == 401:
        return SheetAuthFailed(f"{what}: Google rejected the credentials (401: {message}). Check the service "
                               "account key in secrets or GOOGLE_APPLICATION_CREDENTIALS.")
    if status == 403:
        reason = json.dumps(exc.error).lower()
        if "service_disabled" in reason or "has not been used" in reason or "accessnotconfigured" in reason:
            return SheetAccessDenied(f"{what}: the Google Sheets API is turned off for the service account's "
                                     "Google Cloud project. Enable 'Google Sheets API' in the Cloud console "
                                     "(APIs & Services) and sync again.")
        return SheetAccessDenied(f"{what}: the spreadsheet {key} is not shared with {account}. In Google Sheets "
                                 f"choose Share and add {account} as Viewer (Editor if reports are written "
                                 "back), then sync again.")
    if status == 404:
        return SheetNotFound(f"{what}: there is no spreadsheet with key {key}. Check the URL or key (the part "
                             "between /d/ and /edit in the spreadsheet's address).")
    if status == 400 and "unable to parse range" in message.lower():
        return WorksheetNotFound(f"{what}: the worksheet is not in spreadsheet {key} ({message}).")
    return SheetsError(f"{what}: Google Sheets refused the request ({status}: {message}).")
