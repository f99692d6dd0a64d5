/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The application's icons: they render (the SVGs installed and the copies
 * in the resources), the symbolic one is of one colour as GTK recolours it,
 * and the icon theme finds both in the resources as GtkApplication sets it
 * up, so the app run from the build folder shows its icon too. No display
 * needed. */
#include "config.h"

#include <gtk/gtk.h>

#include "osi-resources.h"

#define SYMBOLIC_NAME APP_ID "-symbolic"

typedef struct
{
  const char *file;       /* under data/icons/hicolor */
  const char *resource;   /* under /org/osi/Backup/icons */
  int         size;
} Icon;

static const Icon icons[] = {
  { "scalable/apps/" APP_ID ".svg", "scalable/apps/" APP_ID ".svg", 128 },
  { "symbolic/apps/" SYMBOLIC_NAME ".svg", "symbolic/apps/" SYMBOLIC_NAME ".svg", 16 },
};

static GdkPixbuf *
load (const Icon *icon,
      gboolean    from_resource,
      int         size)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  GdkPixbuf *pixbuf;

  if (from_resource)
    {
      path = g_strconcat ("/org/osi/Backup/icons/", icon->resource, NULL);
      pixbuf = gdk_pixbuf_new_from_resource_at_scale (path, size, size, TRUE, &error);
    }
  else
    {
      path = g_build_filename (g_getenv ("OSI_BACKUP_ICONS_DIR"), icon->file, NULL);
      pixbuf = gdk_pixbuf_new_from_file_at_size (path, size, size, &error);
    }
  if (pixbuf == NULL)
    g_error ("cannot render %s (is the SVG loader, librsvg2-common, installed?): %s", path, error->message);
  return pixbuf;
}

/* How many pixels are not fully transparent; with single_colour, every one
 * of them must be #2e3436 (its edges only more transparent). */
static guint
count_painted (GdkPixbuf *pixbuf,
               gboolean   single_colour)
{
  int width = gdk_pixbuf_get_width (pixbuf);
  int height = gdk_pixbuf_get_height (pixbuf);
  int stride = gdk_pixbuf_get_rowstride (pixbuf);
  const guint8 *pixels = gdk_pixbuf_read_pixels (pixbuf);
  guint painted = 0;

  g_assert_true (gdk_pixbuf_get_has_alpha (pixbuf));
  g_assert_cmpint (gdk_pixbuf_get_n_channels (pixbuf), ==, 4);
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        const guint8 *p = pixels + y * stride + x * 4;

        if (p[3] == 0)
          continue;
        painted++;
        /* Alpha at the edges costs the colour a little precision. */
        if (single_colour && p[3] >= 64)
          {
            g_assert_cmpint (ABS (p[0] - 0x2e), <=, 3);
            g_assert_cmpint (ABS (p[1] - 0x34), <=, 3);
            g_assert_cmpint (ABS (p[2] - 0x36), <=, 3);
          }
      }
  return painted;
}

static void
test_render (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (icons); i++)
    for (int from_resource = 0; from_resource <= 1; from_resource++)
      {
        gboolean symbolic = g_str_has_prefix (icons[i].file, "symbolic/");
        g_autoptr(GdkPixbuf) pixbuf = load (&icons[i], from_resource, icons[i].size);
        guint painted;

        g_assert_cmpint (gdk_pixbuf_get_width (pixbuf), ==, icons[i].size);
        g_assert_cmpint (gdk_pixbuf_get_height (pixbuf), ==, icons[i].size);
        painted = count_painted (pixbuf, symbolic);
        /* Something drawn, and not a full square. */
        g_assert_cmpuint (painted, >, (guint)(icons[i].size * icons[i].size / 4));
        g_assert_cmpuint (painted, <, (guint)(icons[i].size * icons[i].size));
      }
}

static void
test_theme (void)
{
  g_autoptr(GtkIconTheme) theme = gtk_icon_theme_new ();
  const char *names[] = { APP_ID, SYMBOLIC_NAME };
  const char *no_folders[] = { NULL };

  /* What gtk_application_startup () does with our resource-base-path;
   * no search path, so that only the resources can answer. */
  gtk_icon_theme_set_search_path (theme, no_folders);
  gtk_icon_theme_add_resource_path (theme, "/org/osi/Backup/icons/");
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(GtkIconPaintable) paintable = NULL;
      g_autoptr(GFile) file = NULL;
      g_autofree char *uri = NULL;

      g_assert_true (gtk_icon_theme_has_icon (theme, names[i]));
      paintable = gtk_icon_theme_lookup_icon (theme, names[i], NULL, 64, 1, GTK_TEXT_DIR_NONE, 0);
      file = gtk_icon_paintable_get_file (paintable);
      g_assert_nonnull (file);
      uri = g_file_get_uri (file);
      g_assert_true (g_str_has_prefix (uri, "resource:///org/osi/Backup/icons/"));
      g_assert_true (g_str_has_suffix (uri, "/" APP_ID ".svg") || g_str_has_suffix (uri, "/" SYMBOLIC_NAME ".svg"));
      g_assert_cmpint (gtk_icon_paintable_is_symbolic (paintable), ==, g_str_has_suffix (names[i], "-symbolic"));
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* For GTK's own resources (the hicolor theme's description): they are
   * registered even when no display opens. */
  gtk_init_check ();
  osi_resources_ensure ();
  g_assert_nonnull (g_getenv ("OSI_BACKUP_ICONS_DIR"));

  g_test_add_func ("/icons/render", test_render);
  g_test_add_func ("/icons/theme", test_theme);
  return g_test_run ();
}
