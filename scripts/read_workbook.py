"""Dumps an .xlsx workbook as JSON ({sheet: [[cell, ...], ...]}) with openpyxl, so that tests can
read back what a user would see in Excel. Tooling only, never part of the product."""
import json
import sys

from openpyxl import load_workbook

wb = load_workbook(sys.argv[1], data_only=False)
out = {}
for ws in wb.worksheets:
    rows = []
    for row in ws.iter_rows():
        rows.append([c.value for c in row])
    out[ws.title] = {
        "rows": rows,
        "freeze": ws.freeze_panes,
        "autofilter": ws.auto_filter.ref,
        "formats": {c.coordinate: c.number_format for row in ws.iter_rows() for c in row if c.value is not None and c.number_format != "General"},
        "charts": len(ws._charts),
        "formulas": [c.coordinate for row in ws.iter_rows() for c in row if c.data_type == "f"],
    }
json.dump(out, sys.stdout, default=str)
