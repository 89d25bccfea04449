from django.db import migrations


def city_to_address(apps, schema_editor):
    """Each company's typed city becomes its address: linked to the referential when exactly one
    French city has that name, free text otherwise."""
    from piste.core.text import fold

    Company = apps.get_model("users", "Company")
    Address = apps.get_model("geo", "Address")
    City = apps.get_model("geo", "City")
    PostalCode = apps.get_model("geo", "PostalCode")
    Country = apps.get_model("geo", "Country")
    france = Country.objects.filter(code="FR").first()
    for company in Company.objects.filter(address__isnull=True).exclude(city=""):
        name = " ".join(company.city.split())
        if not name:
            continue
        matches = list(City.objects.filter(country__code="FR", name_key=fold(name))[:2])
        city = matches[0] if len(matches) == 1 else None
        codes = list(PostalCode.objects.filter(city=city).values_list("code", flat=True)[:2])
        company.address = Address.objects.create(
            city=city,
            city_name=city.name if city else name,
            postal_code=codes[0] if city and len(codes) == 1 else "",
            country_id=city.country_id if city else (france.pk if france else None),
        )
        company.save(update_fields=["address"])


def address_to_city(apps, schema_editor):
    Company = apps.get_model("users", "Company")
    for company in Company.objects.filter(address__isnull=False).select_related("address"):
        company.city = company.address.city_name[:120]
        company.save(update_fields=["city"])


class Migration(migrations.Migration):
    dependencies = [
        ("users", "0003_company_address"),
    ]

    # The company's free-text city moves into its address (the next migration drops the column).
    operations = [
        migrations.RunPython(city_to_address, address_to_city),
    ]
