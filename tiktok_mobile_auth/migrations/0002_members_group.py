"""Create the Members group (no permissions: TikTok members get no admin access).

The Editors group comes from Wagtail's own initial data migration.
"""

from django.db import migrations


def create_members_group(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.get_or_create(name="Members")


class Migration(migrations.Migration):
    dependencies = [
        ("tiktok_mobile_auth", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_members_group, migrations.RunPython.noop)]
