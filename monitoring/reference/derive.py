"""Build the committed reference snapshot in this folder from ``shared/data``.

The repository must run from a fresh clone that has no ``../shared``, so the few code lists and the HMRC
trade-test notifications that the simulator draws on are copied or flattened here. Nothing in this folder is
typed by hand: rerun this script when ``shared/data`` changes and commit the result.

Run from the repository root:  python monitoring/reference/derive.py [--shared-data PATH] [--out DIR]
Standard library only.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import shutil
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent

# Derived CSVs that are copied byte for byte.
COPIED_CSVS = (
    "cds_error_codes.csv",
    "dms_notification_function_codes.csv",
    "cds_roe_route_codes.csv",
    "cds_ics_status_codes.csv",
    "uk_import_cpc.csv",
    "uk_export_cpc.csv",
)

SAMPLES = "public/api/conf/1.0/examples/annotated_XML_samples"  # inside hmrc-customs-declarations/

# The source folders we take something from, and the licence file each one carries.
SOURCE_LICENCE_FILES = {
    "hmrc-customs-declarations": "LICENSE",
    "hmrc-customs-declare-exports-frontend": "LICENSE",
    "hmrc-customs-declarations-end-to-end-service-guide": "LICENSE",
    "hmrc-customs-reference-data": "LICENSE",
    "trade-tariff-ott-prototype": "LICENCE.txt",
}

# The Declaration Information Service answer that sits among TT_IM001c's notifications is no notification.
DIS_FILE = "step-2_DIS.xml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared-data", type=Path, default=REPO_ROOT.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=HERE, help="where to write (a test compares a fresh build)")
    args = parser.parse_args()
    derive(args.shared_data.resolve(), args.out.resolve())


def derive(shared: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)

    for name in COPIED_CSVS:
        shutil.copyfile(shared / "derived" / name, out / name)
        print(name)
    write_ncts_error_codes(shared, out)
    write_trade_test_scenarios(shared, out)
    write_licences(shared, out)


def write_ncts_error_codes(shared: Path, out: Path) -> None:
    rows = json.loads((shared / "hmrc-customs-reference-data" / "FunctionalErrorCodesIeCA.json").read_text("utf-8"))
    with open(out / "ncts_functional_error_codes.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["code", "description"])
        writer.writerows([row["code"], row["description"]] for row in rows)
    print("ncts_functional_error_codes.csv", len(rows))


def write_trade_test_scenarios(shared: Path, out: Path) -> None:
    base = shared / "hmrc-customs-declarations" / SAMPLES
    scenarios = []
    for folder in sorted(base.glob("TT_*/Example_Notifications")):
        name = folder.parent.name
        notifications = []
        dis = None
        for path in sorted(folder.iterdir()):
            # Our own byte-for-byte copies of public HMRC samples, not untrusted input.
            root = ET.parse(path).getroot()  # noqa: S314  # nosec B314  # parses our own committed copies of public HMRC samples
            if path.name == DIS_FILE:
                dis = parse_dis(root, path.name)
                continue
            notifications.append(parse_notification(root, path.name))
        scenarios.append(
            {
                "name": name,
                "declaration_type": "EX" if name.startswith("TT_EX") else "IM",
                "notifications": notifications,
                "dis": dis,
            }
        )
    document = {
        "source": "github.com/hmrc/customs-declarations " + SAMPLES + "/TT_*/Example_Notifications",
        "note": "notifications in file-name order; times converted to UTC",
        "scenarios": scenarios,
    }
    text = json.dumps(document, indent=1, ensure_ascii=False) + "\n"
    (out / "hmrc_trade_test_scenarios.json").write_text(text, encoding="utf-8")
    count = sum(len(s["notifications"]) for s in scenarios)
    print("hmrc_trade_test_scenarios.json", len(scenarios), "scenarios", count, "notifications")


def parse_notification(root: ET.Element, file_name: str) -> dict:
    response = child(root, "Response")
    if response is None:
        raise ValueError(f"{file_name}: no Response element")
    declaration = child(response, "Declaration")
    status = child(response, "Status")
    limit = None
    additional_information = []
    for info in children(response, "AdditionalInformation"):
        limit = limit or datetime_of(child(info, "LimitDateTime"))
        additional_information.append(
            {
                "statement_type_code": text_of(info, "StatementTypeCode"),
                "statement_code": text_of(info, "StatementCode"),
            }
        )
    return {
        "file": file_name,
        "function_code": text_of(response, "FunctionCode"),
        "issue_datetime": datetime_of(child(response, "IssueDateTime")),
        "functional_reference_id": text_of(response, "FunctionalReferenceID"),
        "mrn": text_of(declaration, "ID"),
        "lrn": text_of(declaration, "FunctionalReferenceID"),
        "version_id": text_of(declaration, "VersionID"),
        "acceptance_datetime": datetime_of(child(declaration, "AcceptanceDateTime")),
        "status_name_code": text_of(status, "NameCode"),
        "limit_datetime": limit,
        "errors": [parse_error(error) for error in children(response, "Error")],
        "additional_information": additional_information,
    }


def parse_error(error: ET.Element) -> dict:
    pointers = []
    for pointer in children(error, "Pointer"):
        sequence = text_of(pointer, "SequenceNumeric")
        pointers.append(
            {
                "section": text_of(pointer, "DocumentSectionCode"),
                "sequence": int(sequence) if sequence else None,
                "tag": text_of(pointer, "TagID"),
            }
        )
    return {
        "code": text_of(error, "ValidationCode"),
        "description": text_of(error, "Description"),
        "pointers": pointers,
    }


def parse_dis(root: ET.Element, file_name: str) -> dict:
    details = child(root, "DeclarationStatusDetails")
    status = children(details, "Declaration")[0]
    return {
        "file": file_name,
        "mrn": text_of(status, "ID"),
        "version_id": text_of(status, "VersionID"),
        "roe": text_of(status, "ROE"),
        "ics": text_of(status, "ICS"),
        "acceptance_datetime": datetime_of(child(status, "AcceptanceDateTime")),
        "received_datetime": datetime_of(child(status, "ReceivedDateTime")),
        "goods_released_datetime": datetime_of(child(status, "GoodsReleasedDateTime")),
    }


# Namespace prefixes vary from file to file (none, _2_1:, p:), so elements are matched on local names.
def local_name(element: ET.Element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def children(parent: ET.Element | None, name: str) -> list[ET.Element]:
    if parent is None:
        return []
    return [element for element in parent if local_name(element) == name]


def child(parent: ET.Element | None, name: str) -> ET.Element | None:
    found = children(parent, name)
    return found[0] if found else None


def text_of(parent: ET.Element | None, name: str) -> str | None:
    element = child(parent, name)
    if element is None or element.text is None:
        return None
    # Some samples wrap values in line breaks (TT_IM109a's function code).
    return element.text.strip() or None


DATE_TIME = re.compile(r"(\d{14})(Z|[+-]\d\d(?::?\d\d)?)?")


def datetime_of(wrapper: ET.Element | None) -> str | None:
    """A WCO ``DateTimeString`` (format 304: CCYYMMDDhhmmss plus Z, +01 or +0100) as ISO 8601 UTC."""
    value = text_of(wrapper, "DateTimeString")
    if value is None:
        return None
    match = DATE_TIME.fullmatch(value)
    if match is None:
        raise ValueError(f"unexpected DateTimeString {value!r}")
    moment = datetime.strptime(match.group(1), "%Y%m%d%H%M%S")
    zone = match.group(2)
    if zone and zone != "Z":
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
        moment = moment - offset if zone[0] == "+" else moment + offset
    return moment.replace(tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_licences(shared: Path, out: Path) -> None:
    """Copy each source's licence text and list source, commit and licence from shared/data/README.md."""
    licence_dir = out / "licenses"
    licence_dir.mkdir(exist_ok=True)
    rows = source_table(shared / "README.md")
    lines = [
        "# Sources of the files in this folder",
        "",
        "Every file here except `__init__.py` and `derive.py` is produced by `derive.py` from public files, copied",
        "byte for byte into `shared/data/` at the commits below (see `shared/data/README.md`). The licences allow",
        "redistribution with attribution; each licence text is in `licenses/`.",
        "",
        "| folder in shared/data | source repository | commit (date) | licence | licence text here |",
        "|---|---|---|---|---|",
    ]
    for folder, licence_file in SOURCE_LICENCE_FILES.items():
        repository, commit, licence = rows[folder]
        target = f"{folder}-{licence_file}"
        shutil.copyfile(shared / folder / licence_file, licence_dir / target)
        lines.append(f"| `{folder}/` | {repository} | {commit} | {licence} | `licenses/{target}` |")
    lines += [
        "",
        "| file here | built from |",
        "|---|---|",
        "| `cds_error_codes.csv`, `dms_notification_function_codes.csv`, `cds_roe_route_codes.csv`, "
        "`cds_ics_status_codes.csv`, `uk_import_cpc.csv`, `uk_export_cpc.csv` | copies of `shared/data/derived/` |",
        "| `ncts_functional_error_codes.csv` | `hmrc-customs-reference-data/FunctionalErrorCodesIeCA.json` |",
        "| `hmrc_trade_test_scenarios.json` | `hmrc-customs-declarations/"
        + SAMPLES
        + "/TT_*/Example_Notifications/*` |",
        "",
    ]
    (out / "LICENSES.md").write_text("\n".join(lines), encoding="utf-8")
    print("LICENSES.md", len(SOURCE_LICENCE_FILES), "sources")


def source_table(readme: Path) -> dict[str, tuple[str, str, str]]:
    """Rows of the README's "Sources" table: folder -> (repository, commit and date, licence)."""
    rows = {}
    for line in readme.read_text("utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].startswith("`") and cells[1].startswith("github.com/"):
            rows[cells[0].strip("`").rstrip("/")] = (cells[1], cells[2], cells[3])
    return rows


if __name__ == "__main__":
    main()
