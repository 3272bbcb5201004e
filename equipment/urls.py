"""URLs of the equipment app (mounted at /equipment/ in marketplace/urls.py; browse is /instruments/)."""

from django.urls import path

from . import views

app_name = "equipment"

urlpatterns = [
    path("book/<id:instrument_id>/", views.book, name="book"),
    path("book/<id:instrument_id>/period/", views.book_range, name="book_range"),
    path("bookings/", views.my_bookings, name="my_bookings"),
    path("bookings/<id:pk>/", views.booking_detail, name="booking"),
    path("bookings/<id:pk>/cancel/", views.cancel, name="cancel"),
    path("bookings/<id:pk>/check-in/", views.check_in, name="check_in"),
    path("bookings/<id:pk>/check-out/", views.check_out, name="check_out"),
    path("bookings/<id:pk>/confirmation.pdf", views.booking_confirmation, name="booking_confirmation"),
    path("calendar/reset/", views.reset_calendar, name="reset_calendar"),
    path("calendar/instrument/<id:pk>.ics", views.instrument_ical, name="instrument_ical"),
    path("calendar/me/<str:token>.ics", views.my_ical, name="my_ical"),
    path("manage/", views.manage, name="manage"),
    path("manage/bookings/<id:pk>/", views.manage_booking, name="manage_booking"),
    path("manage/bookings/<id:pk>/<slug:action>/", views.manage_action, name="manage_action"),
    path("manage/instruments/<id:pk>/", views.manage_instrument, name="manage_instrument"),
    path("manage/qualifications/<id:pk>/revoke/", views.revoke_qualification, name="revoke_qualification"),
    path("manage/blackouts/<id:pk>/remove/", views.remove_blackout, name="remove_blackout"),
    path("training/<id:instrument_id>/", views.request_training, name="request_training"),
    path("manage/training/<id:pk>/", views.manage_training, name="manage_training"),
    path("waitlist/<id:instrument_id>/join/", views.join_waitlist, name="join_waitlist"),
    path("waitlist/<id:pk>/leave/", views.leave_waitlist, name="leave_waitlist"),
]
