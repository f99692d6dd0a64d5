/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-cli"

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>

#include "osi-archive.h"
#include "osi-cli-private.h"
#include "osi-demo-data.h"
#include "osi-diff.h"
#include "osi-search.h"

static void
print_usage (FILE *out)
{
  fprintf (out, "%s\n\n%s\n%s\n%s\n%s\n%s\n%s\n%s\n%s\n%s\n%s\n%s\n%s\n%s\n%s\n%s\n%s\n%s\n\n%s\n%s\n%s\n%s\n",
           _("Usage: osi-backup-cli [--server URL] [--token-file FILE] [--server-time-zone TZ] COMMAND"),
           _("  list [--json]                 list the server’s backups, newest first"),
           _("  create                        make a backup of the server’s data now"),
           _("  download NAME [-o DIR]        download a backup (resumes an interrupted one)"),
           _("  restore NAME                  replace the server’s data with a backup"),
           _("  delete NAME                   delete a backup on the server"),
           _("  upload FILE                   send a backup file to the server"),
           _("  verify FILE [--json]          check that a downloaded backup will restore"),
           _("  inspect FILE [--json]         show what a backup holds"),
           _("  diff A B [--json]             show what changes from A to B (backups or data folders)"),
           _("  demo-data DIR [--size-mb N]   write a demonstration data folder"),
           _("  policy [--json]               show the server’s schedule, retention and latest runs"),
           _("  policy set [--every …] …      change them (see policy set --help)"),
           _("  prune [--dry-run] [--json]    delete the backups the retention policy does not keep"),
           _("  protect NAME, unprotect NAME  keep a backup from prune and delete, or no longer"),
           _("  note NAME TEXT                write a note on a backup (\"\" removes it)"),
           _("  offsite list [--json]         list the server’s off-site copies and their state"),
           _("  offsite fetch NAME            bring a backup back from off-site storage, to restore it"),
           _("The server and token come from --server and --token-file, or from $OSI_BACKUP_SERVER and $OSI_BACKUP_TOKEN."),
           _("Dates the server sends without a UTC offset are its local time: --server-time-zone (or "
             "$OSI_BACKUP_SERVER_TIME_ZONE) names its zone, such as Europe/Paris; the default is this computer’s."),
           _("Exit status: 0 success, 1 verification found a problem, 2 usage, 3 server or connection error."),
           _("diff exits with 0 whether or not A and B differ, and with 1 when one of them cannot be read or fails verification."));
}

int
osi_cli_usage_error (const char *message)
{
  g_printerr ("osi-backup-cli: %s\n", message);
  print_usage (stderr);
  return OSI_CLI_EXIT_USAGE;
}

/* A command's options (argv[0] is the command): what is left stays in
 * argc and argv. FALSE, with *status, after a usage error. */
gboolean
osi_cli_parse_options (int                 *argc,
                       char              ***argv,
                       const char          *summary,
                       const char          *description,
                       const GOptionEntry  *entries,
                       int                 *status)
{
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;

  g_option_context_set_summary (context, summary);
  g_option_context_set_description (context, description);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  if (g_option_context_parse (context, argc, argv, &error))
    return TRUE;
  *status = osi_cli_usage_error (error->message);
  return FALSE;
}

void
osi_cli_print_json (JsonNode *node)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;

  json_generator_set_root (generator, node);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);
  g_print ("%s\n", text);
}

static char *
format_manifest_date (const char *iso)
{
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr(GDateTime) date = NULL;

  if (iso == NULL)
    return g_strdup ("?");
  date = g_date_time_new_from_iso8601 (iso, utc);
  if (date == NULL)
    return g_strdup (iso);
  return osi_format_date (date);
}

static void
print_summary (OsiVerifyReport *report)
{
  GPtrArray *entries = osi_verify_report_get_entries (report);
  JsonObject *manifest = osi_verify_report_get_manifest (report);
  g_autofree char *archive_size = g_format_size (osi_verify_report_get_archive_bytes (report));
  g_autofree char *content_size = g_format_size (osi_verify_report_get_content_bytes (report));
  g_autofree char *file = osi_format_untrusted (osi_verify_report_get_file (report));
  guint files = 0;

  for (guint i = 0; i < entries->len; i++)
    if (!((OsiFileEntry *)g_ptr_array_index (entries, i))->is_dir)
      files++;

  g_print (_("File: %s (%s, %s)\n"), file,
           osi_verify_report_get_format (report) ? osi_verify_report_get_format (report) : "?",
           archive_size);
  g_print (g_dngettext (GETTEXT_PACKAGE, "Content: %u file, %s\n", "Content: %u files, %s\n", files),
           files, content_size);
  if (osi_verify_report_get_rag_entries (report) >= 0)
    {
      gint64 n = osi_verify_report_get_rag_entries (report);
      g_autofree char *count = g_strdup_printf ("%" G_GINT64_FORMAT, n);

      g_print (g_dngettext (GETTEXT_PACKAGE, "Knowledge base: %s entry\n",
                            "Knowledge base: %s entries\n", (gulong)n), count);
    }
  if (manifest != NULL)
    {
      g_autofree char *created = format_manifest_date (json_object_get_string_member_with_default (manifest, "created", NULL));
      g_autofree char *host = osi_format_untrusted (json_object_get_string_member_with_default (manifest, "host", NULL));
      g_autofree char *shown_created = osi_format_untrusted (created);

      g_print (_("Manifest: created %s on %s\n"), shown_created, host);
    }
}

/* A count as people read it in their locale: 99,980 or 99 980. */
static char *
format_count (guint64 n)
{
  return g_strdup_printf ("%'" G_GUINT64_FORMAT, n);
}

/* ngettext takes an unsigned long: past it, the plural form is all
 * that matters. */
static gulong
plural_count (guint64 n)
{
  return (gulong)MIN (n, (guint64)G_MAXULONG);
}

static void
print_findings (OsiVerifyReport *report)
{
  GPtrArray *findings = osi_verify_report_get_findings (report);
  guint64 omitted = osi_verify_report_get_omitted (report, OSI_N_FINDINGS);
  guint64 total = findings->len + omitted;

  if (total == 0)
    {
      g_print ("%s\n", _("No problem found: every file matches the manifest."));
      return;
    }

  g_print (g_dngettext (GETTEXT_PACKAGE, "%u problem found:\n", "%u problems found:\n", plural_count (total)),
           (guint)MIN (total, G_MAXUINT));
  for (guint i = 0; i < findings->len; i++)
    {
      const OsiFinding *finding = g_ptr_array_index (findings, i);
      g_autofree char *message = osi_format_untrusted (finding->message);

      if (finding->path != NULL)
        {
          g_autofree char *path = osi_format_untrusted (finding->path);

          g_print ("  - %s : %s\n", path, message);
        }
      else
        g_print ("  - %s\n", message);
    }
  /* The report keeps the first of each kind: those left out are of
   * kinds already listed. */
  if (omitted > 0)
    {
      g_autofree char *count = format_count (omitted);

      g_print ("  ");
      /* Translators: %s is a number, such as “99,980” */
      g_print (g_dngettext (GETTEXT_PACKAGE, "… and %s more problem of a kind listed above\n",
                            "… and %s more problems of kinds listed above\n", plural_count (omitted)),
               count);
    }
}

typedef struct
{
  gboolean json;
  gint64   max_size;
  gint64   max_ratio;
  gint64   max_entries;
  gint64   max_path_bytes;
  char   **rest;
} CheckOptions;

static gboolean
parse_check_options (int            argc,
                     char         **argv,
                     const char    *summary,
                     CheckOptions  *opts,
                     int           *status)
{
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &opts->json, N_("Print the report as JSON"), NULL },
    { "max-size", 0, 0, G_OPTION_ARG_INT64, &opts->max_size, N_("Largest total size accepted, in bytes"), N_("BYTES") },
    { "max-ratio", 0, 0, G_OPTION_ARG_INT64, &opts->max_ratio, N_("Largest compression ratio accepted"), "N" },
    { "max-entries", 0, 0, G_OPTION_ARG_INT64, &opts->max_entries, N_("Largest number of entries accepted"), "N" },
    { "max-path-bytes", 0, 0, G_OPTION_ARG_INT64, &opts->max_path_bytes,
      N_("Largest total size of the entries’ names accepted, in bytes"), N_("BYTES") },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &opts->rest, NULL, N_("FILE") },
    { NULL }
  };

  if (!osi_cli_parse_options (&argc, &argv, summary, NULL, entries, status))
    return FALSE;
  if (opts->rest == NULL || g_strv_length (opts->rest) != 1)
    {
      *status = osi_cli_usage_error (_("name exactly one backup file"));
      return FALSE;
    }
  if (opts->max_size < 0 || opts->max_ratio < 0 || opts->max_entries < 0 || opts->max_path_bytes < 0)
    {
      *status = osi_cli_usage_error (_("limits must be positive"));
      return FALSE;
    }
  return TRUE;
}

static OsiVerifyReport *
run_check (CheckOptions  *opts)
{
  g_autoptr(GError) error = NULL;
  OsiArchiveLimits limits;
  OsiVerifyReport *report;

  osi_archive_limits_init (&limits);
  if (opts->max_size > 0)
    limits.max_content_bytes = (guint64)opts->max_size;
  if (opts->max_ratio > 0)
    limits.max_ratio = (guint64)opts->max_ratio;
  if (opts->max_entries > 0)
    limits.max_entries = (guint64)opts->max_entries;
  if (opts->max_path_bytes > 0)
    limits.max_path_bytes = (guint64)opts->max_path_bytes;

  report = osi_archive_verify (opts->rest[0], &limits, NULL, &error);
  if (report == NULL)
    g_printerr ("osi-backup-cli: %s\n", error->message);
  return report;
}

static void
print_listing (OsiVerifyReport *report)
{
  GPtrArray *entries = osi_verify_report_get_entries (report);
  guint n_listed = osi_verify_report_get_n_listed (report);

  for (guint i = 0; i < n_listed; i++)
    {
      const OsiFileEntry *entry = g_ptr_array_index (entries, i);
      g_autofree char *path = osi_format_untrusted (entry->path);

      if (entry->is_dir)
        g_print ("%12s  %s/\n", "", path);
      else
        {
          g_autofree char *size = g_format_size ((guint64)entry->size);
          g_print ("%12s  %s\n", size, path);
        }
    }
  if (entries->len > n_listed)
    {
      g_autofree char *count = format_count (entries->len - n_listed);

      g_print ("%12s  ", "");
      /* Translators: %s is a number, such as “99,980” */
      g_print (g_dngettext (GETTEXT_PACKAGE, "… and %s more entry, not listed: reading stopped at a limit\n",
                            "… and %s more entries, not listed: reading stopped at a limit\n",
                            entries->len - n_listed),
               count);
    }
}

/* verify and inspect read the archive the same way; they differ in what
 * they print and in what counts as a failure: for inspect, only what
 * makes the archive unusable. */
static int
run_check_command (int       argc,
                   char    **argv,
                   gboolean  inspect)
{
  g_autoptr(OsiVerifyReport) report = NULL;
  CheckOptions opts = { 0 };
  int status = OSI_CLI_EXIT_OK;
  const char *summary = inspect
    ? _("Shows what a backup holds: manifest, files and sizes, knowledge base entries.")
    : _("Checks, offline and without writing anything, that a backup is complete, untampered and restorable.");
  OsiVerdict verdict;

  if (!parse_check_options (argc, argv, summary, &opts, &status))
    goto out;

  report = run_check (&opts);
  if (report == NULL)
    {
      status = OSI_CLI_EXIT_PROBLEM;
      goto out;
    }
  verdict = osi_verify_report_get_verdict (report);

  if (opts.json)
    {
      g_autoptr(JsonNode) node = osi_verify_report_to_json (report);
      osi_cli_print_json (node);
    }
  else if (inspect)
    {
      print_summary (report);
      g_print ("\n");
      print_listing (report);
      g_print ("\n");
      g_print (_("Verdict: %s\n"), osi_verdict_describe (verdict));
      print_findings (report);
    }
  else
    {
      g_print (_("Verdict: %s\n"), osi_verdict_describe (verdict));
      print_summary (report);
      print_findings (report);
    }

  if (inspect)
    status = verdict == OSI_VERDICT_NOT_RESTORABLE ? OSI_CLI_EXIT_PROBLEM : OSI_CLI_EXIT_OK;
  else
    status = verdict == OSI_VERDICT_RESTORABLE ? OSI_CLI_EXIT_OK : OSI_CLI_EXIT_PROBLEM;

out:
  g_strfreev (opts.rest);
  return status;
}

static int
cmd_verify (const OsiCliGlobals  *globals,
            int                   argc,
            char                **argv)
{
  return run_check_command (argc, argv, FALSE);
}

static int
cmd_inspect (const OsiCliGlobals  *globals,
             int                   argc,
             char                **argv)
{
  return run_check_command (argc, argv, TRUE);
}

static const char *
change_mark (OsiChangeKind kind)
{
  switch (kind)
    {
    case OSI_CHANGE_ADDED:
      return "+";
    case OSI_CHANGE_REMOVED:
      return "-";
    case OSI_CHANGE_MODIFIED:
    default:
      return "~";
    }
}

static char *
format_file_sizes (const OsiChange *change)
{
  g_autofree char *a = change->size_a >= 0 ? g_format_size ((guint64)change->size_a) : NULL;
  g_autofree char *b = change->size_b >= 0 ? g_format_size ((guint64)change->size_b) : NULL;

  if (a != NULL && b != NULL)
    return g_strdup_printf ("%s → %s", a, b);
  return g_strdup (a != NULL ? a : b != NULL ? b : "");
}

static void
print_diff (OsiDiff *diff)
{
  g_autofree char *summary = osi_diff_describe_restore (diff);

  g_print (_("Before (A): %s\n"), osi_diff_get_a (diff));
  g_print (_("After (B): %s\n"), osi_diff_get_b (diff));
  g_print ("%s\n", summary);

  for (guint s = 0; s < OSI_N_DIFF_SECTIONS; s++)
    {
      GPtrArray *changes = osi_diff_get_changes (diff, s);
      guint added = osi_diff_count (diff, s, OSI_CHANGE_ADDED);
      guint removed = osi_diff_count (diff, s, OSI_CHANGE_REMOVED);
      guint modified = osi_diff_count (diff, s, OSI_CHANGE_MODIFIED);
      guint unchanged = osi_diff_get_unchanged (diff, s);

      g_print ("\n");
      /* One sentence per section: the words agree with entries or files. */
      if (s == OSI_DIFF_RAG)
        g_print (_("Knowledge base — entries added: %u, removed: %u, modified: %u, unchanged: %u\n"),
                 added, removed, modified, unchanged);
      else if (s == OSI_DIFF_CONFIG)
        g_print (_("Configuration — files added: %u, removed: %u, modified: %u, unchanged: %u\n"),
                 added, removed, modified, unchanged);
      else
        g_print (_("Other data — files added: %u, removed: %u, modified: %u, unchanged: %u\n"),
                 added, removed, modified, unchanged);
      for (guint i = 0; i < changes->len; i++)
        {
          const OsiChange *change = g_ptr_array_index (changes, i);
          g_autofree char *name = osi_format_untrusted (change->name);

          if (s == OSI_DIFF_RAG && change->fields != NULL && change->fields[0] != NULL)
            {
              g_autofree char *fields = g_strjoinv (", ", change->fields);
              g_autofree char *shown_fields = osi_format_untrusted (fields);

              g_print ("  %s %s (%s)\n", change_mark (change->kind), name, shown_fields);
            }
          else if (s != OSI_DIFF_RAG)
            {
              g_autofree char *sizes = format_file_sizes (change);
              g_print ("  %s %s (%s)\n", change_mark (change->kind), name, sizes);
            }
          else
            g_print ("  %s %s\n", change_mark (change->kind), name);
        }
    }
  g_print ("\n%s\n", _("+ in B only (added), - in A only (removed), ~ modified (fields that differ)."));
}

/* What a restore of B over A would change. Differences are not a failure:
 * only inputs that cannot be compared are. */
static int
cmd_diff (const OsiCliGlobals  *globals,
          int                   argc,
          char                **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiDiff) diff = NULL;
  g_auto(GStrv) rest = NULL;
  gboolean json = FALSE;
  int status;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print the comparison as JSON"), NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &rest, NULL, N_("A B") },
    { NULL }
  };

  if (!osi_cli_parse_options (&argc, &argv,
                              _("Shows what changes from A to B, each a backup file or a data folder: "
                                "knowledge base entries added, removed or modified (and which fields), "
                                "configuration and data files added, removed or modified. For a "
                                "restore, A is the current data and B the backup."),
                              _("Exit status: 0 when the comparison was made, whether or not "
                                "A and B differ; 1 when A or B cannot be read or fails "
                                "verification; 2 usage."),
                              entries, &status))
    return status;
  if (rest == NULL || g_strv_length (rest) != 2)
    return osi_cli_usage_error (_("name two backups or data folders, A then B"));

  diff = osi_diff_compare (rest[0], rest[1], NULL, &error);
  if (diff == NULL)
    {
      g_printerr ("osi-backup-cli: %s\n", error->message);
      return OSI_CLI_EXIT_PROBLEM;
    }

  if (json)
    {
      g_autoptr(JsonNode) node = osi_diff_to_json (diff);
      osi_cli_print_json (node);
    }
  else
    print_diff (diff);
  return OSI_CLI_EXIT_OK;
}

static int
cmd_demo_data (const OsiCliGlobals  *globals,
               int                   argc,
               char                **argv)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) rest = NULL;
  gint64 size_mb = 16;
  gint64 seed = 1;
  int status;
  GOptionEntry entries[] = {
    { "size-mb", 0, 0, G_OPTION_ARG_INT64, &size_mb, N_("Approximate size in MiB (default 16)"), "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, N_("Seed of the generator (default 1)"), "N" },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &rest, NULL, N_("DIR") },
    { NULL }
  };

  if (!osi_cli_parse_options (&argc, &argv,
                              _("Writes a realistic OSI data folder (knowledge base, configuration, embeddings) for trials and tests."),
                              NULL, entries, &status))
    return status;
  if (rest == NULL || g_strv_length (rest) != 1)
    return osi_cli_usage_error (_("name exactly one folder"));
  if (size_mb < 1 || size_mb > 1024 * 1024)
    return osi_cli_usage_error (_("--size-mb must be between 1 and 1048576"));
  if (seed < 0 || seed > G_MAXUINT32)
    return osi_cli_usage_error (_("--seed must be between 0 and 4294967295"));

  if (!osi_demo_data_generate (rest[0], (guint64)size_mb * 1024 * 1024, (guint32)seed, NULL, &error))
    {
      g_printerr ("osi-backup-cli: %s\n", error->message);
      return OSI_CLI_EXIT_PROBLEM;
    }

  g_print (_("Demonstration data written to %s\n"), rest[0]);
  return OSI_CLI_EXIT_OK;
}

/* --server URL or --server=URL, and so on: the value goes into globals
 * and *i past the option. */
static gboolean
take_global_option (OsiCliGlobals  *globals,
                    int             argc,
                    char          **argv,
                    int            *i)
{
  static const struct
  {
    const char *name;
    gsize       offset;
  } options[] = {
    { "--server", G_STRUCT_OFFSET (OsiCliGlobals, server) },
    { "--token-file", G_STRUCT_OFFSET (OsiCliGlobals, token_file) },
    { "--server-time-zone", G_STRUCT_OFFSET (OsiCliGlobals, server_time_zone) },
  };
  const char *arg = argv[*i];

  for (guint o = 0; o < G_N_ELEMENTS (options); o++)
    {
      const char **value = G_STRUCT_MEMBER_P (globals, options[o].offset);
      gsize len = strlen (options[o].name);

      if (strncmp (arg, options[o].name, len) != 0)
        continue;
      if (arg[len] == '=')
        {
          *value = arg + len + 1;
          *i += 1;
          return TRUE;
        }
      if (arg[len] == '\0' && *i + 1 < argc)
        {
          *value = argv[*i + 1];
          *i += 2;
          return TRUE;
        }
    }
  return FALSE;
}

int
osi_cli_run (int    argc,
             char **argv)
{
  static const struct
  {
    const char    *name;
    OsiCliCommand  run;
  } commands[] = {
    { "list", osi_cli_cmd_network },
    { "create", osi_cli_cmd_network },
    { "download", osi_cli_cmd_network },
    { "restore", osi_cli_cmd_network },
    { "delete", osi_cli_cmd_network },
    { "upload", osi_cli_cmd_network },
    { "policy", osi_cli_cmd_policy },
    { "prune", osi_cli_cmd_prune },
    { "protect", osi_cli_cmd_policy },
    { "unprotect", osi_cli_cmd_policy },
    { "note", osi_cli_cmd_policy },
    { "offsite", osi_cli_cmd_offsite },
    { "verify", cmd_verify },
    { "inspect", cmd_inspect },
    { "diff", cmd_diff },
    { "demo-data", cmd_demo_data },
  };
  OsiCliGlobals globals = { g_getenv ("OSI_BACKUP_SERVER"), NULL, g_getenv ("OSI_BACKUP_SERVER_TIME_ZONE") };
  int i = 1;

  /* Global options come before the command. */
  while (i < argc && argv[i][0] == '-')
    {
      if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0)
        {
          print_usage (stdout);
          return OSI_CLI_EXIT_OK;
        }
      if (strcmp (argv[i], "--version") == 0)
        {
          g_print ("osi-backup-cli %s\n", VERSION);
          return OSI_CLI_EXIT_OK;
        }
      if (!take_global_option (&globals, argc, argv, &i))
        {
          g_autofree char *message = g_strdup_printf (_("unknown option “%s”"), argv[i]);
          return osi_cli_usage_error (message);
        }
    }

  if (i >= argc)
    return osi_cli_usage_error (_("no command given"));

  for (guint c = 0; c < G_N_ELEMENTS (commands); c++)
    if (strcmp (argv[i], commands[c].name) == 0)
      return commands[c].run (&globals, argc - i, argv + i);

  {
    g_autofree char *message = g_strdup_printf (_("unknown command “%s”"), argv[i]);
    return osi_cli_usage_error (message);
  }
}
