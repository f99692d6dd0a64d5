/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-diff-window"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "osi-diff-window-private.h"
#include "osi-resources.h"
#include "osi-search.h"

/* Rows are widgets: past this many changes in a section, one row says how
 * many more there are. */
#define MAX_CHANGE_ROWS 500

struct _OsiDiffWindow
{
  AdwWindow       parent_instance;

  /* template */
  AdwWindowTitle *window_title;
  GtkStack       *stack;
  GtkBox         *sections_box;
  GtkLabel       *sides_label;

  OsiDiff        *diff;
  char           *counts[OSI_N_DIFF_SECTIONS];
  GtkListBox     *lists[OSI_N_DIFF_SECTIONS];
};

G_DEFINE_FINAL_TYPE (OsiDiffWindow, osi_diff_window, ADW_TYPE_WINDOW)

static const char *
section_title (OsiDiffSection section)
{
  switch (section)
    {
    case OSI_DIFF_RAG:
      return _("RAG Knowledge Base");
    case OSI_DIFF_CONFIG:
      return _("Configuration");
    case OSI_DIFF_DATA:
    case OSI_N_DIFF_SECTIONS:
    default:
      return _("Data");
    }
}

/* Knowledge base entries are feminine in French, files masculine. */
static const char *
kind_text (OsiDiffSection section,
           OsiChangeKind  kind)
{
  gboolean entry = section == OSI_DIFF_RAG;

  switch (kind)
    {
    case OSI_CHANGE_ADDED:
      return entry ? C_("RAG entry", "added") : C_("file", "added");
    case OSI_CHANGE_REMOVED:
      return entry ? C_("RAG entry", "removed") : C_("file", "removed");
    case OSI_CHANGE_MODIFIED:
    default:
      return entry ? C_("RAG entry", "modified") : C_("file", "modified");
    }
}

static char *
counts_text (OsiDiff        *diff,
             OsiDiffSection  section)
{
  guint added = osi_diff_count (diff, section, OSI_CHANGE_ADDED);
  guint removed = osi_diff_count (diff, section, OSI_CHANGE_REMOVED);
  guint modified = osi_diff_count (diff, section, OSI_CHANGE_MODIFIED);
  guint unchanged = osi_diff_get_unchanged (diff, section);
  g_autofree char *a = g_strdup_printf (ngettext ("%u addition", "%u additions", added), added);
  g_autofree char *r = g_strdup_printf (ngettext ("%u removal", "%u removals", removed), removed);
  g_autofree char *m = g_strdup_printf (ngettext ("%u change", "%u changes", modified), modified);
  g_autofree char *u = g_strdup_printf (ngettext ("%u identical", "%u identical", unchanged), unchanged);

  return g_strdup_printf ("%s, %s, %s, %s", a, r, m, u);
}

static char *
change_detail (const OsiChange *change)
{
  if (change->fields != NULL && change->fields[0] != NULL)
    {
      g_autofree char *fields = g_strjoinv (", ", change->fields);

      return osi_format_untrusted (fields);
    }
  if (change->size_a >= 0 && change->size_b >= 0)
    {
      g_autofree char *a = g_format_size ((guint64)change->size_a);
      g_autofree char *b = g_format_size ((guint64)change->size_b);

      return g_strdup_printf ("%s → %s", a, b);
    }
  if (change->size_a >= 0 || change->size_b >= 0)
    return g_format_size ((guint64)MAX (change->size_a, change->size_b));
  return g_strdup ("");
}

static void
add_section (OsiDiffWindow  *self,
             OsiDiffSection  section)
{
  GPtrArray *changes = osi_diff_get_changes (self->diff, section);
  GtkWidget *group = adw_preferences_group_new ();
  GtkWidget *list = gtk_list_box_new ();

  self->counts[section] = counts_text (self->diff, section);
  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group), section_title (section));
  adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (group), self->counts[section]);
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  for (guint i = 0; i < changes->len && i < MAX_CHANGE_ROWS; i++)
    {
      const OsiChange *change = g_ptr_array_index (changes, i);
      GtkWidget *row = adw_action_row_new ();
      const char *kind = kind_text (section, change->kind);
      g_autofree char *detail = change_detail (change);
      /* Names and fields come from the archives: shown as the CLI shows them. */
      g_autofree char *name = osi_format_untrusted (change->name);
      /* TRANSLATORS: a kind of change ("modified"), then what changed */
      g_autofree char *subtitle = *detail != '\0' ? g_strdup_printf (C_("change", "%s: %s"), kind, detail)
                                                   : g_strdup (kind);

      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      g_object_set_data_full (G_OBJECT (row), "key", g_strdup_printf ("%s\t%s\t%s", name, kind, detail),
                              g_free);
      gtk_list_box_append (GTK_LIST_BOX (list), row);
    }
  if (changes->len > MAX_CHANGE_ROWS)
    {
      guint more = changes->len - MAX_CHANGE_ROWS;
      g_autofree char *text = g_strdup_printf (ngettext ("… and %u more change", "… and %u more changes", more),
                                               more);
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), text);
      gtk_list_box_append (GTK_LIST_BOX (list), row);
    }
  gtk_widget_set_visible (list, changes->len > 0);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), list);
  self->lists[section] = GTK_LIST_BOX (list);
  gtk_box_append (self->sections_box, group);
}

static void
osi_diff_window_dispose (GObject *object)
{
  OsiDiffWindow *self = OSI_DIFF_WINDOW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), OSI_TYPE_DIFF_WINDOW);
  memset (self->lists, 0, sizeof self->lists);
  g_clear_object (&self->diff);

  G_OBJECT_CLASS (osi_diff_window_parent_class)->dispose (object);
}

static void
osi_diff_window_finalize (GObject *object)
{
  OsiDiffWindow *self = OSI_DIFF_WINDOW (object);

  for (guint i = 0; i < OSI_N_DIFF_SECTIONS; i++)
    g_free (self->counts[i]);

  G_OBJECT_CLASS (osi_diff_window_parent_class)->finalize (object);
}

static void
osi_diff_window_class_init (OsiDiffWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = osi_diff_window_dispose;
  object_class->finalize = osi_diff_window_finalize;

  osi_resources_ensure ();
  gtk_widget_class_set_template_from_resource (widget_class, "/org/osi/Backup/ui/osi-diff-window.ui");
  gtk_widget_class_bind_template_child (widget_class, OsiDiffWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, OsiDiffWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, OsiDiffWindow, sections_box);
  gtk_widget_class_bind_template_child (widget_class, OsiDiffWindow, sides_label);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_w, GDK_CONTROL_MASK, "window.close", NULL);
}

static void
osi_diff_window_init (OsiDiffWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

OsiDiffWindow *
osi_diff_window_new (GtkWindow  *parent,
                     OsiDiff    *diff,
                     const char *a_label,
                     const char *b_label)
{
  OsiDiffWindow *self;
  g_autofree char *sides = NULL;
  g_autofree char *subtitle = NULL;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (OSI_IS_DIFF (diff), NULL);
  g_return_val_if_fail (a_label != NULL && b_label != NULL, NULL);

  self = g_object_new (OSI_TYPE_DIFF_WINDOW, "transient-for", parent, NULL);
  self->diff = g_object_ref (diff);
  /* TRANSLATORS: what is compared: a file or backup, then another */
  subtitle = g_strdup_printf (_("%s → %s"), a_label, b_label);
  adw_window_title_set_subtitle (self->window_title, subtitle);
  /* TRANSLATORS: the compared file or backup, then the other */
  sides = g_strdup_printf (_("What changes from %s to %s."), a_label, b_label);
  gtk_label_set_text (self->sides_label, sides);
  adw_status_page_set_description (ADW_STATUS_PAGE (gtk_stack_get_child_by_name (self->stack, "empty")), sides);
  for (guint i = 0; i < OSI_N_DIFF_SECTIONS; i++)
    add_section (self, (OsiDiffSection)i);
  gtk_stack_set_visible_child_name (self->stack, osi_diff_is_empty (diff) ? "empty" : "changes");
  return self;
}

OsiDiff *
osi_diff_window_get_diff (OsiDiffWindow *self)
{
  g_return_val_if_fail (OSI_IS_DIFF_WINDOW (self), NULL);

  return self->diff;
}

gboolean
osi_diff_window_get_empty_shown (OsiDiffWindow *self)
{
  return g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "empty") == 0;
}

const char *
osi_diff_window_get_counts_text (OsiDiffWindow  *self,
                                 OsiDiffSection  section)
{
  g_return_val_if_fail (section < OSI_N_DIFF_SECTIONS, NULL);

  return self->counts[section];
}

GStrv
osi_diff_window_dup_rows (OsiDiffWindow  *self,
                          OsiDiffSection  section)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  g_return_val_if_fail (section < OSI_N_DIFF_SECTIONS, NULL);

  for (GtkWidget *child = self->lists[section] != NULL ? gtk_widget_get_first_child (GTK_WIDGET (self->lists[section]))
                                                       : NULL;
       child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      const char *key = g_object_get_data (G_OBJECT (child), "key");

      if (key != NULL)
        g_strv_builder_add (builder, key);
    }
  return g_strv_builder_end (builder);
}
