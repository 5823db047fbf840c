"""Committed snapshot of public customs reference data (CDS codes, procedure codes, HMRC trade-test notifications).

Built by ``derive.py`` from ``shared/data`` so that a fresh clone runs without it; ``LICENSES.md`` names the
sources. Plain files and stdlib loaders only: the CAS simulator, which must not import Django, reads them too.
Loaders are cached because the files never change while the process runs.
"""

from __future__ import annotations

import csv
import json
from functools import cache
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _rows(file_name: str) -> list[dict[str, str]]:
    with open(HERE / file_name, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@cache
def load_cds_error_codes() -> dict[str, str]:
    """CDS error code -> English description (178 codes, as CDS returns them in DMSREJ)."""
    return {row["code"]: row["description_en"] for row in _rows("cds_error_codes.csv")}


@cache
def load_dms_function_codes() -> dict[str, str]:
    """DMS notification function code ("01") -> message name ("DMSACC")."""
    return {row["function_code"]: row["dms_message"] for row in _rows("dms_notification_function_codes.csv")}


@cache
def load_roe_codes() -> dict[str, str]:
    """CDS route of examination code -> route name."""
    return {row["code"]: row["route"] for row in _rows("cds_roe_route_codes.csv")}


@cache
def load_ics_codes() -> dict[str, str]:
    """CDS ICS (import clearance status) code -> status name."""
    return {row["code"]: row["status"] for row in _rows("cds_ics_status_codes.csv")}


@cache
def load_uk_import_cpcs() -> list[dict[str, str]]:
    """UK import procedure codes with their allowed Union and national APCs (space-separated)."""
    return _rows("uk_import_cpc.csv")


@cache
def load_uk_export_cpcs() -> dict[str, str]:
    """UK export procedure code -> description."""
    return {row["cpc"]: row["description_en"] for row in _rows("uk_export_cpc.csv")}


@cache
def load_ncts_error_codes() -> dict[str, str]:
    """NCTS functional error code (CL180) -> description."""
    return {row["code"]: row["description"] for row in _rows("ncts_functional_error_codes.csv")}


@cache
def load_trade_test_scenarios() -> list[dict]:
    """The 63 HMRC trade-test scenarios, each with its notifications in file-name order (see derive.py)."""
    with open(HERE / "hmrc_trade_test_scenarios.json", encoding="utf-8") as f:
        return json.load(f)["scenarios"]


@cache
def load_knowledge_base() -> dict:
    """The seed of the resolution knowledge base: families, every CDS code's family and overrides,
    one fallback per alert category, and the family of each non-customs error source."""
    with open(HERE / "knowledge_base.json", encoding="utf-8") as f:
        return json.load(f)
