from django.contrib import admin

from quotes.models import CompanyProfile, DiscountPolicy, PipelineQuoteSettings, Quote, QuoteLine, QuoteResponse


@admin.register(CompanyProfile)
class CompanyProfileAdmin(admin.ModelAdmin):
    """One profile: it can be added while there is none, and never deleted."""

    fieldsets = [
        (None, {"fields": ["company_name", "legal_form", "logo"]}),
        ("Address and contact", {"fields": ["street", "postal_code", "city", "country", "phone", "email", "website"]}),
        (
            "Register and tax",
            {
                "fields": [
                    "registered_office",
                    "register_court",
                    "register_number",
                    "managing_directors",
                    "vat_id",
                    "tax_number",
                ]
            },
        ),
        ("Bank", {"fields": ["bank_name", "iban", "bic"]}),
        (
            "Quote defaults",
            {
                "fields": [
                    "default_validity_days",
                    "vat_rates",
                    "consumer_prices_gross",
                    "default_intro",
                    "default_terms",
                    "default_payment_terms",
                ]
            },
        ),
    ]

    def has_add_permission(self, request):
        return not CompanyProfile.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DiscountPolicy)
class DiscountPolicyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "max_line_discount", "max_total_discount"]
    list_select_related = ["team"]


@admin.register(PipelineQuoteSettings)
class PipelineQuoteSettingsAdmin(admin.ModelAdmin):
    list_display = ["pipeline", "on_acceptance", "stage"]
    list_select_related = ["pipeline", "stage"]


class QuoteLineInline(admin.TabularInline):
    model = QuoteLine
    extra = 0
    can_delete = False
    fields = ["position", "description", "quantity", "unit", "unit_price", "discount_percent", "vat_rate",
              "is_optional", "amount"]  # fmt: skip
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class QuoteResponseInline(admin.StackedInline):
    model = QuoteResponse
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "name", "reason", "at", "ip", "user_agent", "revision", "pdf_sha256", "net_total",
                       "gross_total"]  # fmt: skip

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Quote)
class QuoteAdmin(admin.ModelAdmin):
    """Quotes are written on the deal page; the admin shows them (a sent quote is a document)."""

    list_display = ["display_number", "title", "deal", "state", "net_total", "valid_until", "sent_at"]
    list_filter = ["state", "approval"]
    search_fields = ["number", "title", "deal__title"]
    list_select_related = ["deal"]
    inlines = [QuoteLineInline, QuoteResponseInline]
    readonly_fields = [field.name for field in Quote._meta.fields]

    def has_add_permission(self, request):
        return False
