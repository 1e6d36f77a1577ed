"""Time a CSV lead import: validation (the preview) and the bulk import, N rows.

    CRM_MODE=embedded DATABASE_URL=sqlite:////tmp/bench-leads.sqlite3 \
        .venv/bin/python bench/lead_import.py --rows 10000 --migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench .venv/bin/python bench/lead_import.py --migrate

The rows use a per-run e-mail domain and are deleted afterwards (unless --keep), so the
script can run against a scratch copy of a real database. Not a test: it prints timings.
"""

import argparse
import os
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pipeline_crm.settings")
os.environ.setdefault("CRM_MODE", "embedded")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--migrate", action="store_true", help="apply migrations first (scratch databases)")
    parser.add_argument("--keep", action="store_true", help="keep the imported leads")
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if args.migrate:
        call_command("migrate", verbosity=0)
    from accounts.models import User
    from leads import services
    from leads.models import Lead, LeadImport

    user, _ = User.objects.get_or_create(username="bench-import", defaults={"role": "admin", "is_active": False})
    domain = f"bench-{uuid.uuid4().hex[:8]}.example"
    lines = [
        "first_name,last_name,email,phone,company,source,industry,company_size,region,need,budget,authority,timing"
    ]
    lines += [
        f"Name{i},Last{i},row{i}@{domain},+49 30 {1000000 + i},Company {i % 700} GmbH,trade_fair,software,50-249,"
        "north,high,medium,low,unknown"
        for i in range(args.rows)
    ]
    raw = ("\n".join(lines) + "\n").encode()

    started = time.perf_counter()
    lead_import = services.lead_import_create(actor=user, raw=raw, file_name="bench.csv")
    validated = time.perf_counter()
    LeadImport.objects.filter(pk=lead_import.pk).update(status=LeadImport.Status.QUEUED)
    imported = services.lead_import_run(import_id=lead_import.pk)
    finished = time.perf_counter()

    print(f"database: {connection.vendor}; rows: {args.rows:,}; imported: {imported:,}")
    print(f"validate (preview): {validated - started:6.2f} s")
    print(f"import (bulk):      {finished - validated:6.2f} s")
    print(f"total:              {finished - started:6.2f} s  ({args.rows / (finished - started):,.0f} rows/s)")
    if not args.keep:
        Lead.objects.filter(email__endswith=f"@{domain}").delete()
        LeadImport.objects.filter(pk=lead_import.pk).delete()


if __name__ == "__main__":
    main()
