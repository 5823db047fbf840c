from django.db import migrations


def install(apps, schema_editor):
    from tickets.seed import sla_defaults_install

    sla_defaults_install(apps)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0002_sla_messages_attachments_proposals")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
