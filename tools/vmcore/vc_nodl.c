// SPDX-License-Identifier: GPL-2.0
/*
 * rm-vmcore is linked statically (the introspector VM's initramfs has no
 * libfuse3).  libfuse loads its optional stacking modules (-o modules=)
 * with dlopen(), which a static glibc does only with the shared libraries
 * it was built against, and the linker warns of it.  rm-vmcore uses no
 * such module: the Makefile sends libfuse's dl calls here (ld --wrap),
 * where loading always fails.
 */
#include <stddef.h>

#include "vmcore.h"

void *__wrap_dlopen(const char *file, int mode)
{
	(void)file;
	(void)mode;
	return NULL;
}

void *__wrap_dlsym(void *handle, const char *name)
{
	(void)handle;
	(void)name;
	return NULL;
}

int __wrap_dlclose(void *handle)
{
	(void)handle;
	return 0;
}

char *__wrap_dlerror(void)
{
	return (char *)"rm-vmcore: no dynamic loading in a static binary";
}
