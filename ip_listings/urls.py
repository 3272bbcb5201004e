"""URLs of the ip_listings app (mounted at /ip/ in marketplace/urls.py; browse is /results/)."""

from django.urls import path

from . import views

app_name = "ip_listings"

urlpatterns = [
    path("offers/<id:offer_id>/accept/", views.accept_offer, name="accept_offer"),
    path("results/<id:result_id>/inquire/", views.open_inquiry, name="open_inquiry"),
    path("agreements/", views.agreements, name="agreements"),
    path("agreements/<id:pk>/", views.agreement_detail, name="agreement"),
    path("agreements/<id:pk>/document/", views.agreement_document, name="agreement_document"),
    path("agreements/<id:pk>/download/", views.agreement_download, name="agreement_download"),
    path("agreements/<id:pk>/confirm-payment/", views.confirm_payment, name="confirm_payment"),
    path("agreements/<id:pk>/cancel/", views.cancel_agreement, name="cancel_agreement"),
    path("agreements/<id:pk>/impact/", views.report_impact, name="report_impact"),
    path("inquiries/", views.inquiries, name="inquiries"),
    path("inquiries/<id:pk>/", views.inquiry_detail, name="inquiry"),
    path("inquiries/<id:pk>/message/", views.post_message, name="post_message"),
    path("inquiries/<id:pk>/stage/", views.move_inquiry, name="move_inquiry"),
    path("inquiries/<id:pk>/record-agreement/", views.record_agreement, name="record_agreement"),
    path("tto/", views.tto_dashboard, name="tto"),
]
