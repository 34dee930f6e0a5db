"""Dumps an .xlsx workbook as JSON ({sheet: {rows, page set-up, formats, ...}}) with openpyxl, so
that tests can read back what a user would see in Excel and what would print. Tooling only, never
part of the product."""
import json
import sys

from openpyxl import load_workbook


def header_footer(hf):
    """The left, centre and right text of a header or footer, codes included (`&P of &N`)."""
    return {part: getattr(hf, part).text for part in ("left", "center", "right")}


def charts(ws):
    out = []
    for ch in ws._charts:
        out.append({
            "type": ch.tagname,
            "grouping": getattr(ch, "grouping", None),
            "series": len(ch.series),
            "anchor": ch.anchor._from.row if hasattr(ch.anchor, "_from") else None,
            "anchor_end": ch.anchor.to.row if hasattr(ch.anchor, "to") and ch.anchor.to is not None else None,
        })
    return out


wb = load_workbook(sys.argv[1], data_only=False)
out = {}
for ws in wb.worksheets:
    rows = []
    for row in ws.iter_rows():
        rows.append([c.value for c in row])
    cells = [c for row in ws.iter_rows() for c in row if c.value is not None]
    setup = ws.page_setup
    out[ws.title] = {
        "rows": rows,
        "freeze": ws.freeze_panes,
        "autofilter": ws.auto_filter.ref,
        "formats": {c.coordinate: c.number_format for c in cells if c.number_format != "General"},
        "bold": [c.coordinate for c in cells if c.font is not None and c.font.b],
        "dates": [c.coordinate for c in cells if c.is_date],
        "charts": len(ws._charts),
        "chart_info": charts(ws),
        "formulas": [c.coordinate for c in cells if c.data_type == "f"],
        "merged": [str(r) for r in ws.merged_cells.ranges],
        "wrapped": [c.coordinate for c in cells if c.alignment is not None and c.alignment.wrap_text],
        "heights": {str(i - 1): d.height for i, d in ws.row_dimensions.items() if d.height is not None},
        "page": {
            "orientation": setup.orientation,
            "paper": setup.paperSize,
            "fit_width": setup.fitToWidth,
            "fit_height": setup.fitToHeight,
            "fit_to_page": bool(ws.sheet_properties.pageSetUpPr is not None and ws.sheet_properties.pageSetUpPr.fitToPage),
            "title_rows": ws.print_title_rows,
            "print_area": ws.print_area,
            "header": header_footer(ws.oddHeader),
            "footer": header_footer(ws.oddFooter),
            "margins": [ws.page_margins.left, ws.page_margins.right, ws.page_margins.top, ws.page_margins.bottom],
        },
    }
json.dump(out, sys.stdout, default=str)
