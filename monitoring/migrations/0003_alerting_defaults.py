from django.db import migrations


def install(apps, schema_editor):
    from monitoring.seed import alerting_defaults_install

    alerting_defaults_install(apps)


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0002_alerts")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
