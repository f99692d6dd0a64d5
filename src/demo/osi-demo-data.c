/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-core"

#include "config.h"

#include "osi-demo-data.h"
#include "osi-demo-data-private.h"

/* osi_demo_data_generate: the data folder around the knowledge base
 * (osi-demo-knowledge-base.c): configuration, a few documents written by
 * the prose generator, and incompressible embeddings. */

static gboolean
write_random_file (const char    *path,
                   guint64        size,
                   guint32        seed,
                   guint64       *total,
                   GCancellable  *cancellable,
                   GError       **error)
{
  g_auto(DemoWriter) w = DEMO_WRITER_INIT;
  DemoRng rng;

  if (!_osi_demo_writer_open (&w, path, cancellable, error))
    return FALSE;

  _osi_demo_rng_init (&rng, seed, STREAM_EMBEDDINGS);
  _osi_demo_put_random (&w, &rng, size);

  return _osi_demo_writer_commit (&w, total, error);
}

static gboolean
write_small_file (const char    *path,
                  const char    *contents,
                  gsize          len,
                  guint64       *total,
                  GCancellable  *cancellable,
                  GError       **error)
{
  g_auto(DemoWriter) w = DEMO_WRITER_INIT;

  if (!_osi_demo_writer_open (&w, path, cancellable, error))
    return FALSE;

  put (&w, contents, len);

  return _osi_demo_writer_commit (&w, total, error);
}

typedef struct
{
  const char *display;
  const char *ascii;
} Name;

static const Name first_names[] = {
  { "Camille", "camille" }, { "Léa", "lea" }, { "Chloé", "chloe" },
  { "Hélène", "helene" }, { "François", "francois" }, { "Jérôme", "jerome" },
  { "Noémie", "noemie" }, { "Thomas", "thomas" }, { "Inès", "ines" },
  { "Maël", "mael" }, { "Zoé", "zoe" }, { "Benoît", "benoit" },
};

static const Name last_names[] = {
  { "Lefèvre", "lefevre" }, { "Dubois", "dubois" }, { "Mercier", "mercier" },
  { "Moreau", "moreau" }, { "Girard", "girard" }, { "Bérard", "berard" },
  { "Faure", "faure" }, { "Rousseau", "rousseau" }, { "Lemaître", "lemaitre" },
  { "Gauthier", "gauthier" }, { "Caron", "caron" }, { "Perrin", "perrin" },
};

static const char *const model_names[] = {
  "mistral-7b-instruct-v0.3", "llama3.1:8b-instruct-q4_K_M",
  "qwen2.5:7b-instruct", "mixtral-8x7b-instruct",
};

static char *
build_system_json (guint32  seed,
                   gsize   *len)
{
  GString *s = g_string_new (NULL);
  DemoRng rng;
  guint32 instance;
  const char *model;
  guint temperature, max_tokens, top_k;
  gboolean open_questions;

  /* One draw per statement: the order in which function arguments are
   * evaluated is unspecified, and the output must not depend on it. */
  _osi_demo_rng_init (&rng, seed, STREAM_SYSTEM);
  instance = (guint32) rng_next (&rng);
  model = model_names[rng_below (&rng, G_N_ELEMENTS (model_names))];
  temperature = rng_range (&rng, 1, 7);
  max_tokens = 512u << rng_below (&rng, 3);
  top_k = rng_range (&rng, 3, 8);
  open_questions = rng_chance (&rng, 50);

  /* Integers only: printf of a double would follow the user's locale. */
  g_string_append_printf (s,
    "{\n"
    "  \"instance\": \"osi-demo-%08x\",\n"
    "  \"language\": \"fr-FR\",\n"
    "  \"timezone\": \"Europe/Paris\",\n"
    "  \"model\": {\n"
    "    \"name\": \"%s\",\n"
    "    \"provider\": \"ollama\",\n"
    "    \"endpoint\": \"http://127.0.0.1:11434\",\n"
    "    \"temperature\": 0.%u,\n"
    "    \"top_p\": 0.9,\n"
    "    \"max_tokens\": %u\n"
    "  },\n"
    "  \"rag\": {\n"
    "    \"knowledge_base\": \"rag/search.json\",\n"
    "    \"embeddings\": \"data/embeddings.bin\",\n"
    "    \"dimension\": 384,\n"
    "    \"top_k\": %u,\n"
    "    \"min_score\": 0.35\n"
    "  },\n"
    "  \"prompts\": {\n"
    "    \"system\": \"Tu es l’assistant virtuel de l’université. Réponds en français, "
    "poliment et brièvement, en t’appuyant uniquement sur la base de connaissances.\",\n"
    "    \"fallback\": \"Je n’ai pas trouvé de réponse précise à votre question. "
    "Souhaitez-vous contacter le service \\\"Scolarité\\\"" NNBSP "?\",\n"
    "    \"welcome\": \"Bonjour" NNBSP "! Je suis l’assistant de l’université. "
    "Posez-moi vos questions sur les inscriptions, les bourses, la bibliothèque, "
    "la restauration ou le logement…\"\n"
    "  },\n"
    "  \"features\": {\n"
    "    \"feedback\": true,\n"
    "    \"open_questions\": %s\n"
    "  }\n"
    "}\n",
    instance, model, temperature, max_tokens, top_k,
    open_questions ? "true" : "false");

  *len = s->len;
  return g_string_free (s, FALSE);
}

static char *
build_users_json (guint32  seed,
                  gsize   *len)
{
  static const char *const roles[] = { "editor", "viewer", "editor", "viewer", "operator" };
  GString *s = g_string_new ("[\n");
  DemoRng rng;
  guint n;
  guint first;

  _osi_demo_rng_init (&rng, seed, STREAM_USERS);
  n = rng_range (&rng, 4, 8);
  first = rng_below (&rng, G_N_ELEMENTS (first_names));

  for (guint i = 0; i < n; i++)
    {
      /* Consecutive first names, so usernames are unique. */
      const Name *fn = &first_names[(first + i) % G_N_ELEMENTS (first_names)];
      const Name *ln = &last_names[rng_below (&rng, G_N_ELEMENTS (last_names))];
      const char *role = roles[rng_below (&rng, G_N_ELEMENTS (roles))];
      gboolean active = rng_chance (&rng, 85);
      guint year = rng_range (&rng, 2022, 2025);
      guint month = rng_range (&rng, 1, 12);
      guint day = rng_range (&rng, 1, 28);
      guint hour = rng_range (&rng, 7, 19);
      guint minute = rng_below (&rng, 60);

      g_string_append_printf (s,
        "  {\n"
        "    \"id\": %u,\n"
        "    \"username\": \"%s.%s\",\n"
        "    \"display_name\": \"%s %s\",\n"
        "    \"email\": \"%s.%s@univ-exemple.fr\",\n"
        "    \"role\": \"%s\",\n"
        "    \"active\": %s,\n"
        "    \"created\": \"%u-%02u-%02uT%02u:%02u:00Z\"\n"
        "  }%s\n",
        i + 1,
        fn->ascii, ln->ascii,
        fn->display, ln->display,
        fn->ascii, ln->ascii,
        i == 0 ? "admin" : role,
        i == 0 || active ? "true" : "false",
        year, month, day, hour, minute,
        i + 1 < n ? "," : "");
    }
  g_string_append (s, "]\n");

  *len = s->len;
  return g_string_free (s, FALSE);
}

static const char prompts_yaml[] =
  "# Invites du modèle de langage de l’assistant OSI.\n"
  "# Les variables entre accolades sont remplacées à l’exécution.\n"
  "version: 3\n"
  "language: fr\n"
  "system: |\n"
  "  Tu es l’assistant virtuel de l’université. Tu réponds en français,\n"
  "  avec courtoisie et concision, en t’appuyant uniquement sur les extraits\n"
  "  de la base de connaissances fournis ci-dessous.\n"
  "  Si la réponse n’y figure pas, oriente l’étudiant vers le service compétent\n"
  "  (scolarité, bourses, bibliothèque, restauration, logement…).\n"
  "rephrase: |\n"
  "  Reformule la question suivante pour la recherche documentaire, sans en\n"
  "  changer le sens ni ajouter d’information : {question}\n"
  "context: |\n"
  "  Extraits pertinents :\n"
  "  {passages}\n"
  "fallback: \"Je n’ai pas trouvé de réponse précise. Voulez-vous être mis en relation avec un conseiller" NNBSP "?\"\n"
  "greetings:\n"
  "  - \"Bonjour" NNBSP "! Comment puis-je vous aider" NNBSP "?\"\n"
  "  - \"Bienvenue sur l’assistant de l’université.\"\n"
  "  - \"Bonsoir, que puis-je faire pour vous" NNBSP "?\"\n"
  "closing: \"Bonne journée et bon courage pour vos études" NNBSP "!\"\n";

static const char env_example[] =
  "# Copiez ce fichier en .env puis renseignez vos propres valeurs.\n"
  "# Ne versionnez jamais le fichier .env.\n"
  "OSI_HOST=127.0.0.1\n"
  "OSI_PORT=8080\n"
  "OSI_DATA_DIR=/var/lib/osi\n"
  "OSI_LOG_LEVEL=info\n"
  "OLLAMA_URL=http://127.0.0.1:11434\n"
  "OSI_ADMIN_TOKEN=a-remplacer\n"
  "SMTP_HOST=smtp.univ-exemple.fr\n"
  "SMTP_FROM=\"Assistant OSI <ne-pas-repondre@univ-exemple.fr>\"\n";

static void
fill_reglement (Gen *g)
{
  DemoWriter *w = g->w;
  guint articles;

  PUT (w, "# Règlement intérieur\n\n*Version du ");
  _osi_demo_gen_date (g);
  PUT (w, ", adoptée par le conseil d’administration.*\n");

  articles = rng_range (g->rng, 6, 10);
  for (guint i = 0; i < articles; i++)
    {
      g->topic = _osi_demo_pick_topic (g->rng);
      PUT (w, "\n## Article ");
      _osi_demo_put_uint (w, i + 1, 0);
      PUT (w, " — ");
      put_tok (g, &g->topic->label);
      PUT (w, "\n\n");
      _osi_demo_gen_sentences (g, rng_range (g->rng, 2, 5));
      PUT (w, "\n\n");
      for (guint j = rng_range (g->rng, 2, 4); j > 0; j--)
        {
          PUT (w, "- ");
          _osi_demo_gen_sentence (g);
          put_char (w, '\n');
        }
    }
}

static void
fill_faq (Gen *g)
{
  DemoWriter *w = g->w;

  g->topic = &_osi_demo_topics[2];
  PUT (w, "# Foire aux questions — bourses et aides\n");
  for (guint i = rng_range (g->rng, 5, 9); i > 0; i--)
    {
      PUT (w, "\n### ");
      _osi_demo_gen_question (g);
      PUT (w, "\n\n");
      _osi_demo_gen_sentences (g, rng_range (g->rng, 2, 4));
      put_char (w, '\n');
    }
}

static void
fill_guide (Gen *g)
{
  DemoWriter *w = g->w;

  PUT (w, "GUIDE DE RENTRÉE\n================\n\n");
  for (guint i = 0; i < _osi_demo_n_topics; i += rng_range (g->rng, 1, 3))
    {
      g->topic = &_osi_demo_topics[i];
      put_tok (g, &g->topic->label);
      PUT (w, "\n\n");
      _osi_demo_gen_sentences (g, rng_range (g->rng, 2, 4));
      PUT (w, "\n\n");
    }
}

/* Runs a text generator into memory: documents are a few kilobytes, far
 * from CHUNK_SIZE, so the writer never flushes and needs no file. */
static char *
build_text (guint32   seed,
            guint32   stream,
            void    (*fill) (Gen *g),
            gsize    *len)
{
  g_auto(DemoWriter) w = DEMO_WRITER_INIT;
  DemoRng rng;
  Gen g = { &w, &rng, FALSE, &_osi_demo_topics[0] };

  w.buf = g_malloc (CHUNK_SIZE);
  _osi_demo_rng_init (&rng, seed, stream);
  fill (&g);
  g_assert (w.flushed == 0 && w.error == NULL && w.len > 0);

  *len = w.len;
  return g_memdup2 (w.buf, w.len);
}

gboolean
osi_demo_data_generate (const char    *dir,
                        guint64        size_bytes,
                        guint32        seed,
                        GCancellable  *cancellable,
                        GError       **error)
{
  g_autofree char *rag_dir = NULL;
  g_autofree char *config_dir = NULL;
  g_autofree char *data_dir = NULL;
  g_autofree char *docs_dir = NULL;
  g_autofree char *uploads_dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;
  gsize len = 0;
  guint64 total = 0;

  g_return_val_if_fail (dir != NULL && *dir != '\0', FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  rag_dir = g_build_filename (dir, "rag", NULL);
  config_dir = g_build_filename (dir, "config", NULL);
  data_dir = g_build_filename (dir, "data", NULL);
  docs_dir = g_build_filename (data_dir, "documents", NULL);
  uploads_dir = g_build_filename (data_dir, "uploads", NULL);

  if (!_osi_demo_make_dir (rag_dir, error) ||
      !_osi_demo_make_dir (config_dir, error) ||
      !_osi_demo_make_dir (docs_dir, error) ||
      !_osi_demo_make_dir (uploads_dir, error))
    return FALSE;

/* made: an expression that returns the contents and sets len. */
#define WRITE_MADE(folder, name, made)                                        \
  G_STMT_START {                                                              \
    g_free (path);                                                            \
    g_free (contents);                                                        \
    path = g_build_filename ((folder), (name), NULL);                         \
    contents = (made);                                                        \
    if (!write_small_file (path, contents, len, &total, cancellable, error))  \
      return FALSE;                                                           \
  } G_STMT_END
#define WRITE_BUILT(folder, name, builder)                                    \
  WRITE_MADE (folder, name, builder (seed, &len))
#define WRITE_TEXT(folder, name, stream, fill)                                \
  WRITE_MADE (folder, name, build_text (seed, (stream), (fill), &len))

#define WRITE_STATIC(folder, name, text)                                      \
  G_STMT_START {                                                              \
    g_free (path);                                                            \
    path = g_build_filename ((folder), (name), NULL);                         \
    if (!write_small_file (path, (text), sizeof (text) - 1, &total,           \
                           cancellable, error))                               \
      return FALSE;                                                           \
  } G_STMT_END

  WRITE_BUILT (config_dir, "system.json", build_system_json);
  WRITE_BUILT (config_dir, "users.json", build_users_json);
  WRITE_STATIC (config_dir, "prompts.yaml", prompts_yaml);
  /* Hidden on purpose: backups must not skip dot files. */
  WRITE_STATIC (config_dir, ".env.example", env_example);

  /* A space and accents in a name, and an empty file, are the cases that
   * archivers and path sanitisers most often get wrong. */
  WRITE_TEXT (docs_dir, "Règlement intérieur.md", STREAM_REGLEMENT, fill_reglement);
  WRITE_TEXT (docs_dir, "faq-bourses.md", STREAM_FAQ, fill_faq);
  WRITE_TEXT (docs_dir, "guide-de-rentree.txt", STREAM_GUIDE, fill_guide);
  WRITE_STATIC (docs_dir, "brouillon.txt", "");

#undef WRITE_MADE
#undef WRITE_BUILT
#undef WRITE_TEXT
#undef WRITE_STATIC

  g_free (path);
  path = g_build_filename (rag_dir, "search.json", NULL);
  if (!_osi_demo_write_search_json (path, size_bytes / 2, 0, seed, &total, cancellable, error))
    return FALSE;

  /* The embeddings take whatever is left, so the tree adds up to
   * size_bytes exactly unless the minimum content already exceeds it. */
  g_free (path);
  path = g_build_filename (data_dir, "embeddings.bin", NULL);
  if (!write_random_file (path, size_bytes > total ? size_bytes - total : 0,
                          seed, &total, cancellable, error))
    return FALSE;

  return TRUE;
}
