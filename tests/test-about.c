/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The application as the desktop shows it: once started, its icon is in
 * the display's icon theme (from its resources, installed or not) and is
 * every window's; app.about opens an About window with that icon, the
 * version and this version's release notes. Needs a display. */
#include "config.h"

#include <string.h>

#include <adwaita.h>

#include "osi-application.h"
#include "osi-test-support.h"

static AdwAboutWindow *
find_about_window (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) window = g_list_model_get_item (toplevels, i);

      if (ADW_IS_ABOUT_WINDOW (window))
        return ADW_ABOUT_WINDOW (window);
    }
  return NULL;
}

static void
test_about (void)
{
  g_autoptr(OsiApplication) app = osi_application_new ();
  g_autoptr(GError) error = NULL;
  GtkIconTheme *theme;
  AdwAboutWindow *about;

  /* Beside any other instance on the bus; registering starts it up. */
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);

  theme = gtk_icon_theme_get_for_display (gdk_display_get_default ());
  g_assert_true (gtk_icon_theme_has_icon (theme, APP_ID));
  g_assert_true (gtk_icon_theme_has_icon (theme, APP_ID "-symbolic"));
  g_assert_cmpstr (gtk_window_get_default_icon_name (), ==, APP_ID);

  g_action_group_activate_action (G_ACTION_GROUP (app), "about", NULL);
  about = find_about_window ();
  g_assert_nonnull (about);
  g_assert_cmpstr (adw_about_window_get_application_icon (about), ==, APP_ID);
  g_assert_cmpstr (adw_about_window_get_version (about), ==, VERSION);
  g_assert_cmpstr (adw_about_window_get_release_notes_version (about), ==, VERSION);
  g_assert_true (g_str_has_prefix (adw_about_window_get_release_notes (about), "<p>"));
  g_assert_nonnull (strstr (adw_about_window_get_release_notes (about), "<li>"));
  g_assert_cmpint (adw_about_window_get_license_type (about), ==, GTK_LICENSE_GPL_3_0);

  gtk_window_destroy (GTK_WINDOW (about));
}

static void
no_display (void)
{
  osi_test_missing ("no display");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gtk_disable_setlocale ();
  if (!gtk_init_check ())
    {
      g_test_add_func ("/about/about", no_display);
      return g_test_run ();
    }
  adw_init ();

  g_test_add_func ("/about/about", test_about);
  return g_test_run ();
}
