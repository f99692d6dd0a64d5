/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "osi-cli.h"

G_BEGIN_DECLS

/* What comes before the command: where the server is and how to prove who
 * we are. */
typedef struct
{
  const char *server;      /* --server, else $OSI_BACKUP_SERVER */
  const char *token_file;  /* --token-file; else $OSI_BACKUP_TOKEN holds the token */
  const char *server_time_zone; /* --server-time-zone, else $OSI_BACKUP_SERVER_TIME_ZONE */
} OsiCliGlobals;

typedef int (*OsiCliCommand) (const OsiCliGlobals *globals,
                              int                  argc,
                              char               **argv);

int      osi_cli_usage_error   (const char          *message);
gboolean osi_cli_parse_options (int                 *argc,
                                char              ***argv,
                                const char          *summary,
                                const char          *description,
                                const GOptionEntry  *entries,
                                int                 *status);
void     osi_cli_print_json    (JsonNode            *node);

/* list, create, download, restore, delete and upload: argv[0] says which. */
int      osi_cli_cmd_network   (const OsiCliGlobals *globals,
                                int                  argc,
                                char               **argv);

G_END_DECLS
