"""Reads of a lead import's preview: its progress and the first rows of the file as read.

Beside leads.selectors rather than in it: these read the stored file through leads.importing,
which itself uses leads.selectors.
"""

import csv

from leads import import_encoding, importing
from pipeline_crm import csvexport


def lead_import_progress(*, lead_import):
    """Rows dealt with so far. Batches commit as they go, so the row itself knows."""
    return min(lead_import.processed_rows, lead_import.valid_rows)


def lead_import_samples(*, lead_import, rows=3):
    """The first `rows` rows of a previewed file as read (for the column mapping); [] once the
    file is gone."""
    if not lead_import.source:
        return []
    text = import_encoding.decode(bytes(lead_import.source), encoding=lead_import.encoding)
    _headers, reader = importing.read_header(text)
    samples = []
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                samples.append([csvexport.text_from_cell(cell).strip() for cell in row])
            if len(samples) == rows:
                break
    except csv.Error:
        pass  # the rows' own problems are in the report
    return samples
