/*
 * nls_shim.c: preloaded after libasan by .ci/test-sanitize.sh.
 *
 * With libasan preloaded, Debian's postgres hangs at startup: a library
 * constructor (libgpg-error's, via libgcrypt) calls bindtextdomain() while
 * ASan initialises itself from inside it, which leaves glibc's
 * _nl_state_lock held; the server's own bindtextdomain() in main() then
 * waits for it forever.  Binding no message domains avoids the lock; the
 * server's messages stay untranslated, which tests want anyway.
 */
char	   *bindtextdomain(const char *domain, const char *dirname);
char	   *bind_textdomain_codeset(const char *domain, const char *codeset);

char *
bindtextdomain(const char *domain, const char *dirname)
{
	(void) domain;
	return (char *) (dirname ? dirname : "/usr/share/locale");
}

char *
bind_textdomain_codeset(const char *domain, const char *codeset)
{
	(void) domain;
	return (char *) codeset;
}
