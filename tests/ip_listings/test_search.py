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
