from collections import defaultdict

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from deals import services
from deals.models import (
    MAX_STAGES_PER_PIPELINE,
    CloseDateChange,
    Deal,
    DealProduct,
    LostReason,
    Pipeline,
    PriceList,
    PriceListPrice,
    Product,
    Stage,
    StageChange,
)


class ReadOnlyHistoryAdmin(admin.ModelAdmin):
    """History is written by services only; the admin shows it and never changes it."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ProtectDealsOnDeleteMixin:
    """Deleting a stage or pipeline that still holds deals is refused, naming the deals.

    Without this the admin reports the missing permission on history rows (which
    nobody may delete) instead of the real reason: deals still sit in the stage.
    """

    def get_deleted_objects(self, objs, request):
        to_delete, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        if protected:
            perms_needed = set()
        return to_delete, model_count, perms_needed, protected


class StageInlineForm(forms.ModelForm):
    class Meta:
        model = Stage
        fields = ["order", "name", "probability", "rotting_days", "expected_days"]
        help_texts = {
            "order": _("Each stage of a pipeline has its own number. Drag a row by its handle to reorder."),
        }

    def validate_constraints(self):
        # The stage inline checks order numbers across all its rows (StageInlineFormSet.clean): a
        # row checked alone against the database would refuse two stages swapping their numbers.
        exclude = self._get_validation_exclusions() | {"order"}
        try:
            self.instance.validate_constraints(exclude=exclude)
        except ValidationError as error:
            self._update_errors(error)


class StageInlineFormSet(BaseInlineFormSet):
    """Order numbers are unique within the pipeline; the rows of one save are checked together, so
    a reorder may swap numbers (the database checks the same at commit, where it can defer)."""

    def clean(self):
        kept = [
            form
            for form in self.forms
            if form not in self.deleted_forms and getattr(form, "cleaned_data", None) and form.cleaned_data.get("name")
        ]
        if len(kept) > MAX_STAGES_PER_PIPELINE:
            raise ValidationError(
                _("A pipeline holds at most %(limit)d stages.") % {"limit": MAX_STAGES_PER_PIPELINE},
                code="too_many_stages",
            )
        by_order = defaultdict(list)
        for form in kept:
            if form.cleaned_data.get("order") is not None:
                by_order[form.cleaned_data["order"]].append(form)
        errors = []
        for order, forms_with_order in sorted(by_order.items()):
            if len(forms_with_order) < 2:
                continue
            names = ", ".join(f"“{form.cleaned_data['name']}”" for form in forms_with_order)
            errors.append(
                ValidationError(
                    _(
                        "Order number %(order)d is given to more than one stage: %(names)s. "
                        "Each stage of a pipeline needs its own number."
                    ),
                    code="duplicate_order",
                    params={"names": names, "order": order},
                )
            )
            for form in forms_with_order:
                form.add_error("order", ValidationError(_("Used by another stage."), code="duplicate_order"))
        if errors:
            raise ValidationError(errors)
        super().clean()


class StageInline(admin.TabularInline):
    model = Stage
    form = StageInlineForm
    formset = StageInlineFormSet
    extra = 0
    fields = ["drag_handle", "order", "name", "probability", "rotting_days", "expected_days", "deal_count"]
    readonly_fields = ["drag_handle", "deal_count"]
    ordering = ["order", "id"]
    # static/js/admin_stage_order.js makes the rows of this inline draggable and renumbers them.
    classes = ["js-stage-order"]

    class Media:
        js = ["vendor/sortablejs/Sortable.min.js", "js/admin_stage_order.js"]
        css = {"all": ["css/admin_stage_order.css"]}

    @admin.display(description=_("move"))
    def drag_handle(self, obj):
        return format_html('<span class="stage-drag-handle" title="{}">⠿</span>', _("Drag to reorder"))

    @admin.display(description=_("deals"))
    def deal_count(self, obj):
        return obj.deals.count() if obj.pk else 0


@admin.register(Pipeline)
class PipelineAdmin(ProtectDealsOnDeleteMixin, admin.ModelAdmin):
    list_display = ["name", "kind", "is_default", "is_active", "order"]
    list_editable = ["order"]
    search_fields = ["name"]
    inlines = [StageInline]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except IntegrityError as error:
            # Another save of this pipeline's stages committed first with a clashing order
            # number: PostgreSQL's deferred unique constraint refused this one at commit, so
            # nothing of it was written. Say so and show the stages as they are now.
            if "stage_unique_order_per_pipeline" not in str(error):
                raise
            self.message_user(
                request,
                _(
                    "Nothing was saved: someone else changed the stage order of this pipeline at the same "
                    "time, and two stages would have had the same number. The page shows the stages as they "
                    "are now; please make your change again."
                ),
                messages.ERROR,
            )
            return HttpResponseRedirect(request.get_full_path())


@admin.register(Stage)
class StageAdmin(ProtectDealsOnDeleteMixin, admin.ModelAdmin):
    list_display = ["name", "pipeline", "order", "probability", "rotting_days", "expected_days"]
    list_filter = ["pipeline"]
    list_select_related = ["pipeline"]
    search_fields = ["name", "pipeline__name"]
    ordering = ["pipeline", "order"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "sku", "unit", "unit_price", "vat_rate", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "sku"]


class PriceListPriceInline(admin.TabularInline):
    model = PriceListPrice
    extra = 1
    autocomplete_fields = ["product"]


@admin.register(PriceList)
class PriceListAdmin(admin.ModelAdmin):
    """Price lists are kept here; the products page shows them, a deal picks one."""

    list_display = ["name", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    inlines = [PriceListPriceInline]


@admin.register(LostReason)
class LostReasonAdmin(admin.ModelAdmin):
    list_display = ["name", "order", "is_active"]
    list_editable = ["order", "is_active"]
    search_fields = ["name"]


class DealProductInline(admin.TabularInline):
    model = DealProduct
    extra = 0
    autocomplete_fields = ["product"]


class StageChangeInline(admin.TabularInline):
    model = StageChange
    extra = 0
    can_delete = False
    fields = ["at", "kind", "from_stage", "to_stage", "to_status", "actor", "value"]
    readonly_fields = fields
    ordering = ["at", "id"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Deal)
class DealAdmin(admin.ModelAdmin):
    list_display = ["title", "pipeline", "stage", "status", "value", "owner", "expected_close_date", "updated_at"]
    list_filter = ["status", "pipeline", "stage", "owner__team"]
    list_select_related = ["pipeline", "stage", "owner"]
    search_fields = ["title", "organization__name"]
    autocomplete_fields = ["owner", "organization", "contact", "source_lead", "price_list"]
    readonly_fields = ["version", "stage_entered_at", "created_at", "updated_at", "won_at", "lost_at"]
    date_hierarchy = "created_at"
    inlines = [DealProductInline, StageChangeInline]
    show_full_result_count = False

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Line items edited in the inline: a value that follows them is brought up to date.
        services.deal_value_follow(deal_id=form.instance.pk, actor=request.user)


@admin.register(StageChange)
class StageChangeAdmin(ReadOnlyHistoryAdmin):
    list_display = ["deal", "kind", "from_stage", "to_stage", "to_status", "actor", "value", "at"]
    list_filter = ["kind", "pipeline"]
    list_select_related = ["deal", "from_stage", "to_stage", "actor"]
    search_fields = ["deal__title"]
    date_hierarchy = "at"
    show_full_result_count = False


@admin.register(CloseDateChange)
class CloseDateChangeAdmin(ReadOnlyHistoryAdmin):
    list_display = ["deal", "old_date", "new_date", "actor", "at"]
    list_select_related = ["deal", "actor"]
    search_fields = ["deal__title"]
    date_hierarchy = "at"
