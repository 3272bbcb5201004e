"""URLs of the payments app (mounted at /payments/ in marketplace/urls.py)."""

from django.urls import path

from . import views

app_name = "payments"

urlpatterns = [
    path("", views.my_payments, name="list"),
    path("stripe/webhook/", views.stripe_webhook, name="stripe_webhook"),
    path("statements/", views.statements, name="statements"),
    path("statements/<id:institute_id>/", views.statement, name="statement"),
    path("statements/<id:institute_id>/pay-out/", views.pay_out, name="pay_out"),
    path("statements/<id:institute_id>/statement.pdf", views.statement_pdf, name="statement_pdf"),
    # Paying a booking, an agreement or any kind registered in payables.py: /payments/booking/12/.
    path("<slug:kind>/<id:pk>/", views.pay, name="pay"),
    path("<id:pk>/", views.detail, name="detail"),
    path("<id:pk>/return/", views.returned, name="returned"),
    path("<id:pk>/invoice/", views.invoice, name="invoice"),
    path("<id:pk>/invoice.pdf", views.invoice_pdf, name="invoice_pdf"),
    path("<id:pk>/use-invoice/", views.use_invoice, name="use_invoice"),
    path("<id:pk>/mark-paid/", views.mark_paid, name="mark_paid"),
]
