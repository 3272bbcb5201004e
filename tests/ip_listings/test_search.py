from tests.ip_listings.conftest import make_result


def test_browse_search_finds_a_chinese_word_inside_a_longer_chinese_title(client, institute):
    names = ["柔性压力传感器", "高灵敏度温度传感器", "海水淡化膜"]
    for name in names:
        make_result(institute, title=name, title_en=f"Result {name}", abstract="<p>摘要</p>", abstract_en="<p>-</p>")
    client.cookies["language"] = "zh-hans"

    def found(query):
        html = client.get("/results/", {"q": query}).content.decode()
        return [name for name in names if f">{name}</a>" in html]

    assert found("传感器") == names[:2]
    assert found("压力 传感器") == names[:1]  # every word must match
    assert found("淡化") == names[2:]


def test_browse_form_submitted_as_rendered_keeps_every_readiness_level(client, institute):
    """The TRL selects start blank, so a search sent from the form as it is does not filter on TRL."""
    import re

    make_result(institute, title="柔性压力传感器", title_en="Flexible pressure sensor", trl=6)
    client.cookies["language"] = "zh-hans"
    html = client.get("/results/").content.decode()
    submitted = {}
    for name in ("trl_min", "trl_max"):
        select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S).group(1)
        options = re.findall(r'<option value="([^"]*)"( selected)?', select)
        chosen = [value for value, selected in options if selected]
        submitted[name] = chosen[0] if chosen else options[0][0]  # what a browser sends
    assert submitted == {"trl_min": "", "trl_max": ""}
    html = client.get("/results/", {"q": "传感器", **submitted}).content.decode()
    assert ">柔性压力传感器</a>" in html
