/*
 * signals.c
 *		The signal relay: cancels, statement_timeout and terminations reach
 *		Python code running in the backend (installed once, when the
 *		interpreter starts: see interp.c).
 */
#include "multicorn.h"

#include <signal.h>

static pqsigfunc pg_sigint_handler = NULL;
static pqsigfunc pg_sigalrm_handler = NULL;
static pqsigfunc pg_sigterm_handler = NULL;

/*
 * Signal relay.  PostgreSQL's own handler runs first (it only sets flags and
 * the latch); then Python is told that "SIGINT" arrived, so that its eval
 * loop, time.sleep() and blocking socket calls in the main thread run our
 * Python-level handler, which calls check_interrupts().  SIGALRM is relayed
 * too because statement_timeout is delivered through it, and SIGTERM for
 * pg_terminate_backend() and shutdowns (check_interrupts() then ends the
 * backend with FATAL, which exits without unwinding).
 * PyErr_SetInterruptEx is documented as async-signal-safe.
 */
static void
mc_signal_relay(SIGNAL_ARGS)
{
	int			save_errno = errno;

	if (postgres_signal_arg == SIGINT && pg_sigint_handler)
		pg_sigint_handler(postgres_signal_arg);
	else if (postgres_signal_arg == SIGALRM && pg_sigalrm_handler)
		pg_sigalrm_handler(postgres_signal_arg);
	else if (postgres_signal_arg == SIGTERM && pg_sigterm_handler)
		pg_sigterm_handler(postgres_signal_arg);
	PyErr_SetInterruptEx(SIGINT);
	errno = save_errno;
}

static bool
is_real_handler(pqsigfunc f)
{
	return f != NULL && f != SIG_IGN && f != SIG_DFL && f != SIG_ERR;
}

/*
 * Make Python's SIGINT slot point at our check_interrupts handler, then put
 * the OS-level handlers back to the relay (Python's signal.signal replaced
 * them with its own).
 */
void
mc_install_signal_relay(PyObject *native)
{
	PyObject   *signal_mod,
			   *handler,
			   *res;

	pg_sigint_handler = mc_pqsignal(SIGINT, mc_signal_relay);
	signal_mod = PyImport_ImportModule("signal");
	if (signal_mod == NULL)
		mc_raise_python_error();
	handler = PyObject_GetAttrString(native, "_signal_handler");
	if (handler == NULL)
		mc_raise_python_error();
	res = PyObject_CallMethod(signal_mod, "signal", "iO", SIGINT, handler);
	Py_XDECREF(handler);
	Py_DECREF(signal_mod);
	if (res == NULL)
		mc_raise_python_error();
	Py_DECREF(res);

	if (is_real_handler(pg_sigint_handler))
		mc_pqsignal(SIGINT, mc_signal_relay);
	else
		mc_pqsignal(SIGINT, pg_sigint_handler);

	pg_sigalrm_handler = mc_pqsignal(SIGALRM, mc_signal_relay);
	if (!is_real_handler(pg_sigalrm_handler))
		mc_pqsignal(SIGALRM, pg_sigalrm_handler);

	/*
	 * SIGTERM too: pg_terminate_backend() and a fast shutdown must not wait
	 * for a busy or sleeping wrapper (they did, for ever, until a cancel).
	 */
	pg_sigterm_handler = mc_pqsignal(SIGTERM, mc_signal_relay);
	if (!is_real_handler(pg_sigterm_handler))
		mc_pqsignal(SIGTERM, pg_sigterm_handler);
}
