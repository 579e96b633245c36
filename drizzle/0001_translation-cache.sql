CREATE TABLE "translation_cache" (
	"text_hash" text NOT NULL,
	"source_lang" text NOT NULL,
	"target_lang" text NOT NULL,
	"translator" text NOT NULL,
	"glossary_version" text NOT NULL,
	"translated" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "translation_cache_text_hash_source_lang_target_lang_translator_glossary_version_pk" PRIMARY KEY("text_hash","source_lang","target_lang","translator","glossary_version")
);
