/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-window"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "osi-backup-row-actions.h"
#include "osi-resources.h"

/* A row's protect (or unprotect), note, restore, download and delete
 * buttons. Their actions, the window's win.protect (win.unprotect),
 * win.edit-note, win.restore, win.download and win.delete, take the
 * backup's name as their target. */

struct _OsiBackupRowActions
{
  GtkWidget      parent_instance;

  /* template */
  GtkButton     *protect_button;
  GtkButton     *note_button;
  GtkButton     *restore_button;
  GtkButton     *download_button;
  GtkButton     *delete_button;

  OsiBackupInfo *item;
  gboolean       locked;   /* what the protect button shows */
};

G_DEFINE_FINAL_TYPE (OsiBackupRowActions, osi_backup_row_actions, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_ITEM,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The accessible names say which backup: a screen reader user hears
 * "Restaurer backup_…" rather than three "Restaurer" in a row. Takes
 * label. */
static void
name_button (GtkButton *button,
             char      *label)
{
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  g_free (label);
}

static void
show_item (OsiBackupRowActions *self)
{
  OsiBackupInfo *info = self->item;
  const char *display_name;
  gboolean named;
  gboolean locked;
  GtkButton *buttons[] = { self->protect_button, self->note_button, self->restore_button, self->download_button,
                           self->delete_button };

  /* Unbound, the row is not shown. */
  if (info == NULL)
    return;

  display_name = osi_backup_info_get_display_name (info);
  named = osi_backup_info_can_be_named (info);
  locked = osi_backup_info_get_protected (info);
  /* A page turned rebinds every row: the button changes only with the
   * state it shows. The action before its target: the target is the
   * row's name either way. */
  if (locked != self->locked || gtk_widget_get_tooltip_text (GTK_WIDGET (self->protect_button)) == NULL)
    {
      self->locked = locked;
      gtk_actionable_set_action_name (GTK_ACTIONABLE (self->protect_button), locked ? "win.unprotect" : "win.protect");
      gtk_button_set_icon_name (self->protect_button, locked ? "changes-allow-symbolic" : "changes-prevent-symbolic");
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->protect_button), locked ? _("Unprotect") : _("Protect"));
    }
  for (guint i = 0; i < G_N_ELEMENTS (buttons); i++)
    gtk_actionable_set_action_target_value (GTK_ACTIONABLE (buttons[i]),
                                            g_variant_new_string (osi_backup_info_get_name (info)));
  name_button (self->protect_button,
               g_strdup_printf (locked ? _("Unprotect %s") : _("Protect %s"), display_name));
  name_button (self->note_button, g_strdup_printf (_("Edit the note of %s"), display_name));
  name_button (self->restore_button, g_strdup_printf (_("Restore %s"), display_name));
  name_button (self->download_button, g_strdup_printf (_("Download %s"), display_name));
  name_button (self->delete_button, g_strdup_printf (_("Delete %s"), display_name));
  /* A name that cannot be sent back (docs/api.md §5.3) leaves nothing to act on.
   * This widget, not the buttons: their actions set their own sensitivity. */
  gtk_widget_set_sensitive (GTK_WIDGET (self), named);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self), named ? NULL : osi_backup_info_get_problem (info));
}

static void
osi_backup_row_actions_dispose (GObject *object)
{
  OsiBackupRowActions *self = OSI_BACKUP_ROW_ACTIONS (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), OSI_TYPE_BACKUP_ROW_ACTIONS);
  g_clear_object (&self->item);

  G_OBJECT_CLASS (osi_backup_row_actions_parent_class)->dispose (object);
}

static void
osi_backup_row_actions_get_property (GObject    *object,
                                     guint       prop_id,
                                     GValue     *value,
                                     GParamSpec *pspec)
{
  OsiBackupRowActions *self = OSI_BACKUP_ROW_ACTIONS (object);

  switch (prop_id)
    {
    case PROP_ITEM:
      g_value_set_object (value, self->item);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
osi_backup_row_actions_set_property (GObject      *object,
                                     guint         prop_id,
                                     const GValue *value,
                                     GParamSpec   *pspec)
{
  OsiBackupRowActions *self = OSI_BACKUP_ROW_ACTIONS (object);

  switch (prop_id)
    {
    case PROP_ITEM:
      osi_backup_row_actions_set_item (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
osi_backup_row_actions_class_init (OsiBackupRowActionsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = osi_backup_row_actions_dispose;
  object_class->get_property = osi_backup_row_actions_get_property;
  object_class->set_property = osi_backup_row_actions_set_property;

  properties[PROP_ITEM] =
    g_param_spec_object ("item", NULL, NULL,
                         OSI_TYPE_BACKUP_INFO,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  osi_resources_ensure ();
  gtk_widget_class_set_template_from_resource (widget_class, "/org/osi/Backup/ui/osi-backup-row-actions.ui");
  gtk_widget_class_bind_template_child (widget_class, OsiBackupRowActions, protect_button);
  gtk_widget_class_bind_template_child (widget_class, OsiBackupRowActions, note_button);
  gtk_widget_class_bind_template_child (widget_class, OsiBackupRowActions, restore_button);
  gtk_widget_class_bind_template_child (widget_class, OsiBackupRowActions, download_button);
  gtk_widget_class_bind_template_child (widget_class, OsiBackupRowActions, delete_button);
}

static void
osi_backup_row_actions_init (OsiBackupRowActions *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

OsiBackupInfo *
osi_backup_row_actions_get_item (OsiBackupRowActions *self)
{
  g_return_val_if_fail (OSI_IS_BACKUP_ROW_ACTIONS (self), NULL);

  return self->item;
}

void
osi_backup_row_actions_set_item (OsiBackupRowActions *self,
                                 OsiBackupInfo       *item)
{
  g_return_if_fail (OSI_IS_BACKUP_ROW_ACTIONS (self));
  g_return_if_fail (item == NULL || OSI_IS_BACKUP_INFO (item));

  if (!g_set_object (&self->item, item))
    return;
  show_item (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ITEM]);
}
