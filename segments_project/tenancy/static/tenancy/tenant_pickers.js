'use strict';
// The pickers of tenant-owned rows ask their autocomplete view for one tenant's rows
// (`?tenant=`, empty: none). On an add form the tenant is chosen in the form itself: when
// it changes, every such picker of the form is pointed at the chosen tenant, and what it
// had picked (rows of the former tenant) is dropped.
{
    const $ = django.jQuery;

    function follow(tenantField) {
        for (const picker of tenantField.form.querySelectorAll('select.admin-autocomplete')) {
            const url = new URL(picker.getAttribute('data-ajax--url'), window.location.href);
            if (!url.searchParams.has('tenant') || url.searchParams.get('tenant') === tenantField.value) {
                continue;
            }
            url.searchParams.set('tenant', tenantField.value);
            const target = url.pathname + url.search;
            picker.setAttribute('data-ajax--url', target);
            $(picker).data('ajax--url', target);  // select2 reads jQuery's copy of the attribute
            for (const option of [...picker.options]) {
                if (option.value) {
                    option.remove();
                }
            }
            if ($(picker).data('select2')) {
                $(picker).select2('destroy');
                $(picker).djangoAdminSelect2();
            }
        }
    }

    $(function() {
        const tenantField = document.querySelector('form select[name="tenant"]');
        if (tenantField) {
            follow(tenantField);
            tenantField.addEventListener('change', () => follow(tenantField));
        }
    });
}
