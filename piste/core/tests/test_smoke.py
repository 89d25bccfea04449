from django.urls import reverse


def test_administrator_opens_every_configuration_page(personas):
    client = personas.client(personas.administrator)
    for url in [
        "/",
        "/config/",
        "/config/settings/",
        "/config/users/",
        "/config/companies/",
        "/config/tags/",
        "/config/industry-sectors/",
        "/config/teams/",
        "/profile/",
    ]:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    assert client.get(reverse("config:referential_list", args=["agencies"])).status_code == 404
