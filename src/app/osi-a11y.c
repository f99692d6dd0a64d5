/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-a11y"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <gtk/gtk.h>

#include "osi-a11y.h"

/* Set on a widget this file named: it is named again when what its name
 * comes from changes. A widget the app named itself is left alone. */
#define NAMED_KEY   "osi-a11y-named"
#define WATCHED_KEY "osi-a11y-watched"

/* ------------------------------------------------------------------------ */
/* Accessible labels                                                        */

/* GTK 4.8 has no getter for accessible properties; the test API is the
 * only way to ask. */
static gboolean
has_label (GtkWidget *widget)
{
  return gtk_test_accessible_has_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL);
}

static gboolean
has_labelled_by (GtkWidget *widget)
{
  return gtk_test_accessible_has_relation (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_RELATION_LABELLED_BY);
}

/* Whether the widget's accessible label is text. */
static gboolean
label_is (GtkWidget  *widget,
          const char *text)
{
  g_autofree char *differs = NULL;

  if (!has_label (widget))
    return FALSE;
  differs = gtk_test_accessible_check_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL, text);
  return differs == NULL;
}

/* Names widget text; with nothing to name it after, takes back the name
 * this file gave it (a tooltip gone). */
static void
set_label (GtkWidget  *widget,
           const char *text)
{
  if (text == NULL || *text == '\0')
    {
      if (g_object_get_data (G_OBJECT (widget), NAMED_KEY) != NULL)
        {
          g_object_set_data (G_OBJECT (widget), NAMED_KEY, NULL);
          gtk_accessible_reset_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL);
        }
      return;
    }
  if (label_is (widget, text))
    return;
  g_object_set_data (G_OBJECT (widget), NAMED_KEY, GINT_TO_POINTER (TRUE));
  gtk_accessible_update_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL, text, -1);
}

/* Whether the app has not named the widget: it has no label, or one this
 * file gave it. */
static gboolean
ours_to_name (GtkWidget *widget)
{
  return g_object_get_data (G_OBJECT (widget), NAMED_KEY) != NULL || !has_label (widget);
}

/* "C_reate" as shown: "Create"; "__" is one underscore. */
static char *
strip_mnemonic (const char *label)
{
  GString *text = g_string_sized_new (strlen (label));

  for (const char *p = label; *p != '\0'; p++)
    {
      if (*p == '_' && *++p == '\0')
        break;
      g_string_append_c (text, *p);
    }
  return g_string_free (text, FALSE);
}

/* The texts of the labels in widget, one after the other: what a button
 * made of a box shows. */
static void
append_shown_text (GtkWidget *widget,
                   GString   *text)
{
  if (widget == NULL || !gtk_widget_get_visible (widget))
    return;
  if (GTK_IS_LABEL (widget))
    {
      const char *shown = gtk_label_get_text (GTK_LABEL (widget));

      if (*shown != '\0')
        g_string_append_printf (text, "%s%s", text->len > 0 ? " " : "", shown);
      return;
    }
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    append_shown_text (child, text);
}

static char *
dup_shown_text (GtkWidget *widget)
{
  GString *text = g_string_new (NULL);

  append_shown_text (widget, text);
  if (text->len == 0)
    {
      g_string_free (text, TRUE);
      return NULL;
    }
  return g_string_free (text, FALSE);
}

/* ------------------------------------------------------------------------ */
/* Buttons                                                                  */

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
  GtkWidget *child;

  if (GTK_IS_MENU_BUTTON (button))
    return gtk_menu_button_get_icon_name (GTK_MENU_BUTTON (button));
  child = GTK_IS_BUTTON (button) ? gtk_button_get_child (GTK_BUTTON (button)) : NULL;
  return child != NULL && GTK_IS_IMAGE (child) ? gtk_image_get_icon_name (GTK_IMAGE (child)) : NULL;
}

static gboolean
is_icon_only (GtkWidget *button)
{
  if (GTK_IS_MENU_BUTTON (button))
    return gtk_menu_button_get_icon_name (GTK_MENU_BUTTON (button)) != NULL &&
           gtk_menu_button_get_label (GTK_MENU_BUTTON (button)) == NULL;
  return GTK_IS_BUTTON (button) && GTK_IS_IMAGE (gtk_button_get_child (GTK_BUTTON (button)));
}

/* The tooltip; for a menu button's inner button, which takes the focus
 * in GTK 4.8 and so is what a screen reader reads, its menu button's;
 * else what its icon means, if known. */
static const char *
icon_button_name (GtkWidget *button)
{
  GtkWidget *parent = gtk_widget_get_parent (button);
  const char *icon = icon_of (button);

  if (gtk_widget_get_tooltip_text (button) != NULL)
    return gtk_widget_get_tooltip_text (button);
  if (parent != NULL && GTK_IS_MENU_BUTTON (parent) && gtk_widget_get_tooltip_text (parent) != NULL)
    return gtk_widget_get_tooltip_text (parent);
  for (guint i = 0; icon != NULL && i < G_N_ELEMENTS (icon_names); i++)
    if (g_str_equal (icon, icon_names[i].icon))
      return _(icon_names[i].name);
  return NULL;
}

/* GTK 4.8 gives a button the label it was set, underscore included, as
 * its accessible label ("C_reate"), and makes it labelled by the label
 * widget it shows ("Create"): the name read is both, "C_reate Create".
 * Where GTK's label is still there, it goes, and the label shown names
 * the button; a check button, labelled by nothing, is given the text
 * shown. */
static void
name_labelled_button (GtkWidget *button)
{
  const char *label = NULL;
  gboolean use_underline = FALSE;

  if (GTK_IS_BUTTON (button))
    {
      label = gtk_button_get_label (GTK_BUTTON (button));
      use_underline = gtk_button_get_use_underline (GTK_BUTTON (button));
    }
  else if (GTK_IS_CHECK_BUTTON (button))
    {
      label = gtk_check_button_get_label (GTK_CHECK_BUTTON (button));
      use_underline = gtk_check_button_get_use_underline (GTK_CHECK_BUTTON (button));
    }
  if (label == NULL || !label_is (button, label))
    return;
  if (has_labelled_by (button))
    gtk_accessible_reset_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL);
  else if (use_underline)
    {
      g_autofree char *shown = strip_mnemonic (label);

      gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, shown, -1);
    }
}

/* A button GTK names after nothing reads as its type ("GtkButton"): an
 * icon-only one (a button's icon labels it, as "GtkImage"), one made of a
 * box (an icon and a label). It is named after its tooltip or icon, or
 * after the text it shows, else its tooltip. */
static void
name_unlabelled_button (GtkWidget *button)
{
  g_autofree char *shown = NULL;

  if (!ours_to_name (button))
    return;
  if (is_icon_only (button))
    {
      set_label (button, icon_button_name (button));
      return;
    }
  if (has_labelled_by (button))
    return;
  shown = dup_shown_text (gtk_button_get_child (GTK_BUTTON (button)));
  set_label (button, shown != NULL ? shown : gtk_widget_get_tooltip_text (button));
}

/* A menu button is two buttons for a screen reader: itself, named after
 * nothing in GTK 4.8 ("GtkMenuButton"), and the button inside it that
 * takes the focus, labelled by its label, or by the menu button when it
 * shows a widget of its own. Both are named after what it shows. */
static void
name_menu_button (GtkMenuButton *menu_button)
{
  GtkWidget *widget = GTK_WIDGET (menu_button);
  GtkWidget *inner = gtk_widget_get_first_child (widget);
  GtkWidget *content = GTK_IS_BUTTON (inner) ? gtk_button_get_child (GTK_BUTTON (inner)) : NULL;
  const char *label = gtk_menu_button_get_label (menu_button);

  if (ours_to_name (widget))
    {
      g_autofree char *name = NULL;

      if (label != NULL)
        name = gtk_menu_button_get_use_underline (menu_button) ? strip_mnemonic (label) : g_strdup (label);
      else if (is_icon_only (widget))
        name = g_strdup (icon_button_name (widget));
      else if ((name = dup_shown_text (content)) == NULL)
        name = g_strdup (gtk_widget_get_tooltip_text (widget));
      set_label (widget, name);
      /* One that shows nothing, not even an icon (the shortcuts window's
       * chooser of sections, in a page not shown while there is one
       * section), is nothing to a screen reader until it shows a label. */
      gtk_accessible_update_state (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_STATE_HIDDEN,
                                   name == NULL || !gtk_widget_get_visible (widget), -1);
    }
  if (GTK_IS_BUTTON (inner) && is_icon_only (inner))
    name_unlabelled_button (inner);
}

/* ------------------------------------------------------------------------ */
/* Drop-downs                                                               */

static GtkWidget *
find_mnemonic_label (GtkWidget *widget,
                     GtkWidget *target)
{
  if (GTK_IS_LABEL (widget) && gtk_label_get_mnemonic_widget (GTK_LABEL (widget)) == target)
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_mnemonic_label (child, target);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static char *
dup_selected_text (GtkDropDown *drop_down)
{
  gpointer item = gtk_drop_down_get_selected_item (drop_down);
  GtkExpression *expression = gtk_drop_down_get_expression (drop_down);
  g_auto(GValue) value = G_VALUE_INIT;

  if (item == NULL)
    return NULL;
  if (GTK_IS_STRING_OBJECT (item))
    return g_strdup (gtk_string_object_get_string (item));
  if (expression != NULL && gtk_expression_evaluate (expression, item, &value) && G_VALUE_HOLDS_STRING (&value))
    return g_value_dup_string (&value);
  return NULL;
}

/* GTK 4.8's drop-down is a button that takes the focus and has no name:
 * a screen reader says "GtkToggleButton". It is named after what says
 * what the drop-down chooses (the label whose mnemonic opens it, else its
 * tooltip), then what is chosen: "Per page 25". */
static void
name_drop_down (GtkDropDown *drop_down)
{
  GtkWidget *button = gtk_widget_get_first_child (GTK_WIDGET (drop_down));
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (drop_down));
  GtkWidget *label = NULL;
  const char *what;
  g_autofree char *chosen = NULL;
  g_autofree char *name = NULL;

  if (!GTK_IS_TOGGLE_BUTTON (button) || !ours_to_name (button))
    return;
  if (root != NULL)
    label = find_mnemonic_label (GTK_WIDGET (root), GTK_WIDGET (drop_down));
  what = label != NULL ? gtk_label_get_text (GTK_LABEL (label)) : gtk_widget_get_tooltip_text (GTK_WIDGET (drop_down));
  chosen = dup_selected_text (drop_down);
  if (what != NULL && *what != '\0' && chosen != NULL && *chosen != '\0')
    name = g_strconcat (what, " ", chosen, NULL);
  else
    name = g_strdup (what != NULL && *what != '\0' ? what : chosen);
  set_label (button, name);
}

/* ------------------------------------------------------------------------ */
/* Images                                                                   */

/* An image with no name reads as "GtkImage". One with a tooltip is named
 * after it; any other is decoration (an icon beside its text, on a status
 * page, in a row) and is hidden from screen readers. A button's icon is
 * none of these: GTK 4.8 makes it a presentation. */
static void
name_image (GtkWidget *image)
{
  const char *tooltip = gtk_widget_get_tooltip_text (image);

  if (gtk_accessible_get_accessible_role (GTK_ACCESSIBLE (image)) != GTK_ACCESSIBLE_ROLE_IMG ||
      !ours_to_name (image) || has_labelled_by (image))
    return;
  if (tooltip != NULL)
    {
      set_label (image, tooltip);
      gtk_accessible_update_state (GTK_ACCESSIBLE (image), GTK_ACCESSIBLE_STATE_HIDDEN,
                                   !gtk_widget_get_visible (image), -1);
    }
  else
    gtk_accessible_update_state (GTK_ACCESSIBLE (image), GTK_ACCESSIBLE_STATE_HIDDEN, TRUE, -1);
}

/* ------------------------------------------------------------------------ */
/* Controls labelled twice                                                  */

/* The label in root that says text (case folded) and alone labels
 * widget, NULL if none. */
static GtkWidget *
find_labelling (GtkWidget  *root,
                GtkWidget  *widget,
                const char *text)
{
  if (GTK_IS_LABEL (root))
    {
      g_autofree char *shown = g_strstrip (g_strdup (gtk_label_get_text (GTK_LABEL (root))));
      g_autofree char *folded = g_utf8_casefold (shown, -1);
      g_autofree char *differs = NULL;

      if (!g_str_equal (folded, text))
        return NULL;
      /* The test API returns the relation when it is not the one given. */
      differs = gtk_test_accessible_check_relation (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_RELATION_LABELLED_BY,
                                                    root, NULL);
      return differs == NULL ? root : NULL;
    }
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_labelling (child, widget, text);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* GTK 4.8 reads a control by the label that labels it (a row's title,
 * "Time"), then by the name the app gave it ("Hour"). Where the
 * translation makes both the same ("Heure Heure"), the name given goes:
 * the label shown names the control alone. Only the controls that
 * are not buttons (a spin button, an entry, a switch...): buttons are
 * named above. */
static void
name_twice_labelled (GtkWidget *widget)
{
  GtkAccessibleRole role = gtk_accessible_get_accessible_role (GTK_ACCESSIBLE (widget));
  g_autofree char *given = NULL;
  g_autofree char *folded = NULL;
  GtkRoot *root;

  if ((role != GTK_ACCESSIBLE_ROLE_SPIN_BUTTON && role != GTK_ACCESSIBLE_ROLE_TEXT_BOX &&
       role != GTK_ACCESSIBLE_ROLE_SEARCH_BOX && role != GTK_ACCESSIBLE_ROLE_SWITCH &&
       role != GTK_ACCESSIBLE_ROLE_SLIDER && role != GTK_ACCESSIBLE_ROLE_COMBO_BOX) ||
      !has_label (widget) || !has_labelled_by (widget) || (root = gtk_widget_get_root (widget)) == NULL)
    return;
  /* The test API returns the value when it differs from the one given;
   * nothing real is "\x01". */
  given = gtk_test_accessible_check_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL, "\x01");
  if (given == NULL)
    return;
  folded = g_utf8_casefold (g_strstrip (given), -1);
  if (find_labelling (GTK_WIDGET (root), widget, folded) != NULL)
    gtk_accessible_reset_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL);
}

/* ------------------------------------------------------------------------ */
/* The hook                                                                 */

static void name_widget (GtkWidget *widget);

static void
on_changed (GtkWidget  *widget,
            GParamSpec *pspec,
            gpointer    user_data)
{
  name_widget (widget);
}

static gboolean
name_later_cb (gpointer data)
{
  GtkWidget *widget = data;

  if (!gtk_widget_in_destruction (widget))
    name_widget (widget);
  return G_SOURCE_REMOVE;
}

/* GTK 4.8 marks a widget shown for screen readers after it said it is:
 * an image is hidden again once GTK is done. */
static void
on_changed_later (GtkWidget  *widget,
                  GParamSpec *pspec,
                  gpointer    user_data)
{
  g_idle_add_full (G_PRIORITY_HIGH_IDLE, name_later_cb, g_object_ref (widget), g_object_unref);
}

/* What a name is made of may change: a button's label (GTK sets its
 * accessible label again), a tooltip (a peek toggle says "Show Text",
 * then "Hide Text"), a drop-down's choice, an image shown again.
 * GObject's notify takes no emission hook: each widget is watched. */
static void
watch (GtkWidget         *widget,
       const char *const *properties,
       GCallback          callback)
{
  if (g_object_get_data (G_OBJECT (widget), WATCHED_KEY) != NULL)
    return;
  g_object_set_data (G_OBJECT (widget), WATCHED_KEY, GINT_TO_POINTER (TRUE));
  for (guint i = 0; properties[i] != NULL; i++)
    {
      g_autofree char *signal = g_strconcat ("notify::", properties[i], NULL);

      g_signal_connect (widget, signal, callback, NULL);
    }
}

static void
name_widget (GtkWidget *widget)
{
  GtkWidget *parent = gtk_widget_get_parent (widget);

  if (GTK_IS_IMAGE (widget))
    {
      watch (widget, (const char *const[]) { "visible", "tooltip-text", NULL }, G_CALLBACK (on_changed_later));
      name_image (widget);
    }
  else if (GTK_IS_DROP_DOWN (widget))
    {
      watch (widget, (const char *const[]) { "selected-item", "tooltip-text", NULL }, G_CALLBACK (on_changed));
      name_drop_down (GTK_DROP_DOWN (widget));
    }
  else if (GTK_IS_MENU_BUTTON (widget))
    {
      watch (widget, (const char *const[]) { "label", "icon-name", "tooltip-text", NULL }, G_CALLBACK (on_changed));
      name_menu_button (GTK_MENU_BUTTON (widget));
    }
  else if (GTK_IS_TOGGLE_BUTTON (widget) && parent != NULL &&
           (GTK_IS_DROP_DOWN (parent) || GTK_IS_MENU_BUTTON (parent)))
    /* Their inner button, named with them. */
    name_widget (parent);
  else if (GTK_IS_BUTTON (widget) || GTK_IS_CHECK_BUTTON (widget))
    {
      watch (widget, (const char *const[]) { "label", "use-underline", "tooltip-text", "child", NULL },
             G_CALLBACK (on_changed));
      name_labelled_button (widget);
      if (GTK_IS_BUTTON (widget))
        name_unlabelled_button (widget);
    }
  else
    name_twice_labelled (widget);
}

static void
name_tree (GtkWidget *widget)
{
  name_widget (widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    name_tree (child);
}

/* A window or popover as it shows is named whole: a screen reader reads
 * the pages of a stack not shown too. Each widget again as it shows, for
 * those added since. */
static gboolean
on_widget_map (GSignalInvocationHint *hint,
               guint                  n_values,
               const GValue          *values,
               gpointer               user_data)
{
  GtkWidget *widget = g_value_get_object (&values[0]);

  if (GTK_IS_NATIVE (widget))
    name_tree (widget);
  else
    name_widget (widget);
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
