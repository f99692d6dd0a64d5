/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-window"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "osi-backup-badges.h"
#include "osi-backup-cell.h"
#include "osi-resources.h"
#include "osi-window-private.h"

/* A cell of the backups list: its name, date or size. The name's cell
 * also shows the lock of a protected backup, its note, its kind and its
 * latest verification (docs/api.md §6), and its off-site copy's state
 * (docs/api.md §7.3): the progress of a copy under way comes from the
 * window, which reads it from GET /offsite and says when it changed. */

struct _OsiBackupCell
{
  GtkWidget            parent_instance;

  /* template */
  GtkLabel            *label;
  GtkImage            *lock_icon;
  GtkLabel            *note_label;
  GtkLabel            *kind_label;
  GtkLabel            *verification_label;
  GtkImage            *offsite_icon;

  OsiBackupInfo       *item;
  OsiWindow           *window;         /* the root, while rooted in one */
  OsiBackupCellColumn  column;
  gboolean             badges_shown;   /* any badge of show_badges () */
};

G_DEFINE_FINAL_TYPE (OsiBackupCell, osi_backup_cell, GTK_TYPE_WIDGET)

G_DEFINE_ENUM_TYPE (OsiBackupCellColumn, osi_backup_cell_column,
                    G_DEFINE_ENUM_VALUE (OSI_BACKUP_CELL_NAME, "name"),
                    G_DEFINE_ENUM_VALUE (OSI_BACKUP_CELL_DATE, "date"),
                    G_DEFINE_ENUM_VALUE (OSI_BACKUP_CELL_SIZE, "size"))

enum {
  PROP_0,
  PROP_ITEM,
  PROP_COLUMN,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The size column's text: an older backend may not say the size. */
static char *
size_text (OsiBackupInfo *info)
{
  gint64 size = osi_backup_info_get_size (info);

  return size >= 0 ? g_format_size ((guint64)size) : g_strdup ("—");
}

/* The row, not a cell, takes the focus when arrows move through the
 * list: its accessible name is what Orca reads then. GTK 4.8 gives a row
 * no name of its own, so the name cell names it: "NAME, DATE, SIZE". The
 * cell is within the row once bound; if GTK ever binds it unparented,
 * the label itself carries the name. */
/* The off-site state in words, with the progress the window knows of a
 * copy under way. */
static char *
offsite_text (OsiBackupCell *self,
              OsiBackupInfo *info)
{
  gint64 copied = -1;
  gint64 size = osi_backup_info_get_size (info);

  if (self->window != NULL && g_strcmp0 (osi_backup_info_get_offsite_state (info), "copying") == 0)
    _osi_window_get_offsite_progress (self->window, osi_backup_info_get_name (info), &copied, &size);
  return osi_backup_dup_offsite_text (info, copied, size);
}

static void
name_row (OsiBackupCell *self,
          GtkWidget     *label,
          OsiBackupInfo *info)
{
  const char *date = osi_backup_info_get_display_date (info);
  /* Older backends may not say the size: a dash is no word to hear. */
  g_autofree char *size = osi_backup_info_get_size (info) >= 0 ? size_text (info) : g_strdup (_("size unknown"));
  /* TRANSLATORS: how a screen reader names a row of the list: the
   * backup's name, its date, its size */
  g_autofree char *named = g_strdup_printf (_("%s, %s, %s"), osi_backup_info_get_display_name (info),
                                            date != NULL && *date != '\0' ? date : _("date unknown"), size);
  g_autofree char *verification = osi_backup_dup_verification_text (info);
  g_autofree char *offsite = offsite_text (self, info);
  const char *extras[] = {
    osi_backup_info_get_protected (info) ? osi_backup_protected_text () : NULL,
    osi_backup_kind_text (osi_backup_info_get_kind (info)),
    verification,
    offsite,
    osi_backup_info_get_note (info),
  };
  g_autoptr(GString) text = g_string_new (named);
  GtkWidget *row = label;

  /* What the badges show is heard too, after what every row says. */
  for (guint i = 0; i < G_N_ELEMENTS (extras); i++)
    if (extras[i] != NULL && *extras[i] != '\0')
      g_string_append_printf (text, ", %s", extras[i]);

  while (row != NULL && gtk_accessible_get_accessible_role (GTK_ACCESSIBLE (row)) != GTK_ACCESSIBLE_ROLE_ROW)
    row = gtk_widget_get_parent (row);
  gtk_accessible_update_property (GTK_ACCESSIBLE (row != NULL ? row : label),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, text->str,
                                  -1);
}

/* The badges of the name's cell; hidden in the other columns and for a
 * backup the server says nothing of. */
static void
show_badges (OsiBackupCell *self,
             OsiBackupInfo *info)
{
  gboolean name_column = self->column == OSI_BACKUP_CELL_NAME && info != NULL;
  gboolean locked = name_column && osi_backup_info_get_protected (info);
  const char *note = name_column ? osi_backup_info_get_note (info) : NULL;
  const char *kind = name_column ? osi_backup_kind_text (osi_backup_info_get_kind (info)) : NULL;
  g_autofree char *verification = name_column ? osi_backup_dup_verification_text (info) : NULL;
  const char *verdict = name_column ? osi_backup_info_get_verdict (info) : NULL;
  g_autofree char *offsite = name_column ? offsite_text (self, info) : NULL;
  gboolean any = locked || (note != NULL && *note != '\0') || kind != NULL || verification != NULL || offsite != NULL;

  /* Most lists have no badge at all: a page turned touches none. */
  if (!any && !self->badges_shown)
    return;
  self->badges_shown = any;
  gtk_widget_set_visible (GTK_WIDGET (self->lock_icon), locked);
  gtk_widget_set_visible (GTK_WIDGET (self->note_label), note != NULL && *note != '\0');
  gtk_label_set_text (self->note_label, note != NULL ? note : "");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->note_label), note);
  gtk_widget_set_visible (GTK_WIDGET (self->kind_label), kind != NULL);
  gtk_label_set_text (self->kind_label, kind != NULL ? kind : "");
  gtk_widget_set_visible (GTK_WIDGET (self->verification_label), verification != NULL);
  gtk_label_set_text (self->verification_label, verification != NULL ? verification : "");
  gtk_widget_remove_css_class (GTK_WIDGET (self->verification_label), "success");
  gtk_widget_remove_css_class (GTK_WIDGET (self->verification_label), "error");
  gtk_widget_remove_css_class (GTK_WIDGET (self->verification_label), "warning");
  if (verdict != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (self->verification_label),
                              g_str_equal (verdict, "restorable") ? "success"
                              : g_str_equal (verdict, "not-restorable") ? "error" : "warning");
  /* The mark says in words what it means, to the eye and to Orca. */
  gtk_widget_set_visible (GTK_WIDGET (self->offsite_icon), offsite != NULL);
  if (offsite != NULL)
    {
      gtk_image_set_from_icon_name (self->offsite_icon, osi_backup_offsite_icon (info));
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->offsite_icon), offsite);
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->offsite_icon), GTK_ACCESSIBLE_PROPERTY_LABEL, offsite,
                                      -1);
      if (g_strcmp0 (osi_backup_info_get_offsite_state (info), "failed") == 0)
        gtk_widget_add_css_class (GTK_WIDGET (self->offsite_icon), "error");
      else
        gtk_widget_remove_css_class (GTK_WIDGET (self->offsite_icon), "error");
    }
}

/* docs/api.md §5.3: an entry the server sent wrong is shown as well as it can
 * be, what is wrong with it in its tooltip. Cells are reused: every item
 * sets or clears it. */
static void
show_problem (GtkWidget     *widget,
              OsiBackupInfo *info)
{
  const char *problem = osi_backup_info_get_problem (info);

  gtk_widget_set_tooltip_text (widget, problem);
  if (problem != NULL)
    gtk_widget_add_css_class (widget, "warning");
  else
    gtk_widget_remove_css_class (widget, "warning");
}

static void
show_item (OsiBackupCell *self)
{
  OsiBackupInfo *info = self->item;
  g_autofree char *size = NULL;

  show_badges (self, info);
  /* A cell without an item (set up, or unbound) is not shown. */
  if (info == NULL)
    return;

  switch (self->column)
    {
    case OSI_BACKUP_CELL_NAME:
      gtk_label_set_text (self->label, osi_backup_info_get_display_name (info));
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->label), osi_backup_info_get_problem (info));
      name_row (self, GTK_WIDGET (self->label), info);
      break;

    case OSI_BACKUP_CELL_DATE:
      /* "Unknown date" for a date the server did not send right. */
      gtk_label_set_text (self->label, osi_backup_info_get_display_date (info));
      show_problem (GTK_WIDGET (self->label), info);
      break;

    case OSI_BACKUP_CELL_SIZE:
      size = size_text (info);
      gtk_label_set_text (self->label, size);
      break;

    default:
      g_assert_not_reached ();
    }
}

/* Only a copy under way shows a progress that changes. */
static void
on_offsite_progress (OsiBackupCell *self)
{
  if (self->column == OSI_BACKUP_CELL_NAME && self->item != NULL &&
      g_strcmp0 (osi_backup_info_get_offsite_state (self->item), "copying") == 0)
    show_item (self);
}

static void
osi_backup_cell_root (GtkWidget *widget)
{
  OsiBackupCell *self = OSI_BACKUP_CELL (widget);
  GtkRoot *root;

  GTK_WIDGET_CLASS (osi_backup_cell_parent_class)->root (widget);
  root = gtk_widget_get_root (widget);
  if (self->column != OSI_BACKUP_CELL_NAME || !OSI_IS_WINDOW (root))
    return;
  self->window = OSI_WINDOW (root);
  g_signal_connect_object (root, "offsite-progress", G_CALLBACK (on_offsite_progress), self, G_CONNECT_SWAPPED);
  on_offsite_progress (self);
}

static void
osi_backup_cell_unroot (GtkWidget *widget)
{
  OsiBackupCell *self = OSI_BACKUP_CELL (widget);

  if (self->window != NULL)
    {
      g_signal_handlers_disconnect_by_func (self->window, on_offsite_progress, self);
      self->window = NULL;
    }
  GTK_WIDGET_CLASS (osi_backup_cell_parent_class)->unroot (widget);
}

static void
osi_backup_cell_dispose (GObject *object)
{
  OsiBackupCell *self = OSI_BACKUP_CELL (object);
  GtkWidget *child;

  gtk_widget_dispose_template (GTK_WIDGET (self), OSI_TYPE_BACKUP_CELL);
  /* The box of the name and the note is no template child of its own. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_object (&self->item);

  G_OBJECT_CLASS (osi_backup_cell_parent_class)->dispose (object);
}

static void
osi_backup_cell_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  OsiBackupCell *self = OSI_BACKUP_CELL (object);

  switch (prop_id)
    {
    case PROP_ITEM:
      g_value_set_object (value, self->item);
      break;

    case PROP_COLUMN:
      g_value_set_enum (value, self->column);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
osi_backup_cell_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  OsiBackupCell *self = OSI_BACKUP_CELL (object);

  switch (prop_id)
    {
    case PROP_ITEM:
      osi_backup_cell_set_item (self, g_value_get_object (value));
      break;

    case PROP_COLUMN:
      osi_backup_cell_set_column (self, g_value_get_enum (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
osi_backup_cell_class_init (OsiBackupCellClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = osi_backup_cell_dispose;
  object_class->get_property = osi_backup_cell_get_property;
  object_class->set_property = osi_backup_cell_set_property;
  widget_class->root = osi_backup_cell_root;
  widget_class->unroot = osi_backup_cell_unroot;

  properties[PROP_ITEM] =
    g_param_spec_object ("item", NULL, NULL,
                         OSI_TYPE_BACKUP_INFO,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_COLUMN] =
    g_param_spec_enum ("column", NULL, NULL,
                       OSI_TYPE_BACKUP_CELL_COLUMN, OSI_BACKUP_CELL_NAME,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  osi_resources_ensure ();
  gtk_widget_class_set_template_from_resource (widget_class, "/org/osi/Backup/ui/osi-backup-cell.ui");
  gtk_widget_class_bind_template_child (widget_class, OsiBackupCell, label);
  gtk_widget_class_bind_template_child (widget_class, OsiBackupCell, lock_icon);
  gtk_widget_class_bind_template_child (widget_class, OsiBackupCell, note_label);
  gtk_widget_class_bind_template_child (widget_class, OsiBackupCell, kind_label);
  gtk_widget_class_bind_template_child (widget_class, OsiBackupCell, verification_label);
  gtk_widget_class_bind_template_child (widget_class, OsiBackupCell, offsite_icon);
}

static void
osi_backup_cell_init (OsiBackupCell *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  /* The lock says in words what it means, to the eye and to Orca. */
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->lock_icon), osi_backup_protected_text ());
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->lock_icon), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  osi_backup_protected_text (), -1);
}

OsiBackupInfo *
osi_backup_cell_get_item (OsiBackupCell *self)
{
  g_return_val_if_fail (OSI_IS_BACKUP_CELL (self), NULL);

  return self->item;
}

void
osi_backup_cell_set_item (OsiBackupCell *self,
                          OsiBackupInfo *item)
{
  g_return_if_fail (OSI_IS_BACKUP_CELL (self));
  g_return_if_fail (item == NULL || OSI_IS_BACKUP_INFO (item));

  if (!g_set_object (&self->item, item))
    return;
  show_item (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ITEM]);
}

OsiBackupCellColumn
osi_backup_cell_get_column (OsiBackupCell *self)
{
  g_return_val_if_fail (OSI_IS_BACKUP_CELL (self), OSI_BACKUP_CELL_NAME);

  return self->column;
}

void
osi_backup_cell_set_column (OsiBackupCell       *self,
                            OsiBackupCellColumn  column)
{
  gboolean numeric = column == OSI_BACKUP_CELL_SIZE;

  g_return_if_fail (OSI_IS_BACKUP_CELL (self));

  if (self->column == column)
    return;
  self->column = column;
  gtk_label_set_xalign (self->label, numeric ? 1 : 0);
  gtk_widget_remove_css_class (GTK_WIDGET (self->label), numeric ? "body" : "numeric");
  gtk_widget_add_css_class (GTK_WIDGET (self->label), numeric ? "numeric" : "body");
  show_item (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COLUMN]);
}

/* What the tests look at: the name cell's badges as shown, NULL when
 * hidden. */
const char *
osi_backup_cell_get_badge_text (OsiBackupCell *self,
                                const char    *badge)
{
  GtkWidget *widget;

  g_return_val_if_fail (OSI_IS_BACKUP_CELL (self), NULL);

  if (g_strcmp0 (badge, "lock") == 0)
    return gtk_widget_get_visible (GTK_WIDGET (self->lock_icon))
           ? gtk_widget_get_tooltip_text (GTK_WIDGET (self->lock_icon)) : NULL;
  if (g_strcmp0 (badge, "note") == 0)
    widget = GTK_WIDGET (self->note_label);
  else if (g_strcmp0 (badge, "kind") == 0)
    widget = GTK_WIDGET (self->kind_label);
  else if (g_strcmp0 (badge, "verification") == 0)
    widget = GTK_WIDGET (self->verification_label);
  else if (g_strcmp0 (badge, "offsite") == 0)
    return gtk_widget_get_visible (GTK_WIDGET (self->offsite_icon))
           ? gtk_widget_get_tooltip_text (GTK_WIDGET (self->offsite_icon)) : NULL;
  else
    g_return_val_if_reached (NULL);
  return gtk_widget_get_visible (widget) ? gtk_label_get_text (GTK_LABEL (widget)) : NULL;
}
