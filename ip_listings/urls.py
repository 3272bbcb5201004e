"""URLs of the ip_listings app (mounted at /ip/ in marketplace/urls.py; browse is /results/)."""

from django.urls import path

from . import views

app_name = "ip_listings"

urlpatterns = [
    path("offers/<str:offer_id>/accept/", views.accept_offer, name="accept_offer"),
    path("results/<str:result_id>/inquire/", views.open_inquiry, name="open_inquiry"),
    path("agreements/", views.agreements, name="agreements"),
    path("agreements/<str:pk>/", views.agreement_detail, name="agreement"),
    path("agreements/<str:pk>/document/", views.agreement_document, name="agreement_document"),
    path("agreements/<str:pk>/download/", views.agreement_download, name="agreement_download"),
    path("agreements/<str:pk>/confirm-payment/", views.confirm_payment, name="confirm_payment"),
    path("agreements/<str:pk>/cancel/", views.cancel_agreement, name="cancel_agreement"),
    path("agreements/<str:pk>/impact/", views.report_impact, name="report_impact"),
    path("inquiries/", views.inquiries, name="inquiries"),
    path("inquiries/<str:pk>/", views.inquiry_detail, name="inquiry"),
    path("inquiries/<str:pk>/message/", views.post_message, name="post_message"),
    path("inquiries/<str:pk>/stage/", views.move_inquiry, name="move_inquiry"),
    path("inquiries/<str:pk>/record-agreement/", views.record_agreement, name="record_agreement"),
    path("tto/", views.tto_dashboard, name="tto"),
]
