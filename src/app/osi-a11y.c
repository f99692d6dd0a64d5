/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-a11y"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <gtk/gtk.h>

#include "osi-a11y.h"

#define NAMED_KEY "osi-a11y-named-from-tooltip"

static gboolean
is_icon_only (GtkWidget *widget)
{
  if (GTK_IS_MENU_BUTTON (widget))
    return gtk_menu_button_get_icon_name (GTK_MENU_BUTTON (widget)) != NULL &&
           gtk_menu_button_get_label (GTK_MENU_BUTTON (widget)) == NULL;
  return GTK_IS_BUTTON (widget) && GTK_IS_IMAGE (gtk_button_get_child (GTK_BUTTON (widget)));
}

/* Buttons without even a tooltip (the shortcuts window's search, a
 * toast's close button) are named after their icon. */
static const struct
{
  const char *icon;
  const char *name;
} icon_names[] = {
  { "edit-find-symbolic", N_("Search") },
  { "window-close-symbolic", N_("Close") },
};

static const char *
icon_of (GtkWidget *button)
{
  GtkWidget *child = GTK_IS_BUTTON (button) ? gtk_button_get_child (GTK_BUTTON (button)) : NULL;

  return child != NULL && GTK_IS_IMAGE (child) ? gtk_image_get_icon_name (GTK_IMAGE (child)) : NULL;
}

/* The tooltip; for a menu button's inner button, which takes the focus
 * in GTK 4.8 and so is what a screen reader reads, its menu button's;
 * else what its icon means, if known. */
static const char *
name_for (GtkWidget *button)
{
  GtkWidget *parent = gtk_widget_get_parent (button);
  const char *icon = icon_of (button);

  if (gtk_widget_get_tooltip_text (button) != NULL)
    return gtk_widget_get_tooltip_text (button);
  if (parent != NULL && GTK_IS_MENU_BUTTON (parent))
    return gtk_widget_get_tooltip_text (parent);
  for (guint i = 0; icon != NULL && i < G_N_ELEMENTS (icon_names); i++)
    if (g_str_equal (icon, icon_names[i].icon))
      return _(icon_names[i].name);
  return NULL;
}

static void
name_button (GtkWidget *button)
{
  const char *name = name_for (button);

  if (name != NULL)
    gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
}

static void
on_tooltip_changed (GtkWidget  *button,
                    GParamSpec *pspec,
                    gpointer    user_data)
{
  name_button (button);
}

static gboolean
on_widget_map (GSignalInvocationHint *hint,
               guint                  n_values,
               const GValue          *values,
               gpointer               user_data)
{
  GtkWidget *widget = g_value_get_object (&values[0]);

  if (!is_icon_only (widget) || g_object_get_data (G_OBJECT (widget), NAMED_KEY) != NULL)
    return TRUE;
  /* GTK 4.8 has no other way to ask whether a name was given. */
  if (gtk_test_accessible_has_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL) ||
      name_for (widget) == NULL)
    return TRUE;
  g_object_set_data (G_OBJECT (widget), NAMED_KEY, GINT_TO_POINTER (TRUE));
  name_button (widget);
  /* A peek toggle says "Show Text", then "Hide Text". */
  g_signal_connect (widget, "notify::tooltip-text", G_CALLBACK (on_tooltip_changed), NULL);
  return TRUE;
}

void
osi_a11y_ensure (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done))
    {
      /* The signal exists once the class does. */
      gpointer widget_class = g_type_class_ref (GTK_TYPE_WIDGET);

      g_signal_add_emission_hook (g_signal_lookup ("map", GTK_TYPE_WIDGET), 0, on_widget_map, NULL, NULL);
      g_type_class_unref (widget_class);
      g_once_init_leave (&done, 1);
    }
}
