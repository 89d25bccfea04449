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


def test_home_page_query_count(personas, django_assert_num_queries):
    from piste.core.testing import en_client
    from piste.leads.tests.factories import make_lead

    for name in ("Un", "Deux", "Trois"):
        make_lead(personas.salesperson, last_name=name)
    client = en_client(personas.salesperson)
    client.get("/")
    # 1 session, 2 user, 3 memberships, 4 the actor's teams, 5 my five newest leads with their
    # status (the "My leads" card).
    with django_assert_num_queries(5):
        response = client.get("/")
    assert [n for n in ("Un", "Deux", "Trois") if n in response.content.decode()] == [
        "Un",
        "Deux",
        "Trois",
    ]
