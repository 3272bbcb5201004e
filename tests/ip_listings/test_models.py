from ip_listings.models import ResultPage

from .conftest import make_result


def test_a_result_page_takes_its_institute_from_the_institute_page_above_it(institute):
    page = make_result(institute)
    assert ResultPage.objects.get(pk=page.pk).institute == institute
