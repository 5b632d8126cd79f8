/*
 * The PE/COFF header that makes the image an EFI application, as Linux's
 * arm64 Image is one: the Image header at offset 0 starts with "MZ" and holds
 * this header's offset at 0x3c, and the linker script places this right
 * after it (offset 0x40). Two sections map the image: .text (code) and .data
 * (everything after the code). The size fields that depend on what follows
 * the code (bss, and the VM package `bulkhead image` appends) are written by
 * tools/pe_image.py after linking and again when the package is appended.
 */
#include "asm_macros.h"

#define PE_MACHINE_ARM64	0xaa64
#define PE_OPT_MAGIC_PE32PLUS	0x20b
#define PE_SUBSYSTEM_EFI_APP	10
/* executable image; line numbers and debug info stripped */
#define PE_FILE_FLAGS		0x0206
#define PE_SCN_CODE		0x60000020	/* code, execute, read */
#define PE_SCN_DATA		0xc0000040	/* initialised data, read, write */
#define PE_SECTION_ALIGN	4096
#define PE_FILE_ALIGN		512
#define PE_HEADERS_SIZE		4096	/* the first page; code starts after it */

	.section .text.head.pe, "a"
	.globl pe_header
pe_header:
	/* offsets below are from the image start, 0x40 bytes before this */
	.set	.Limage, pe_header - 0x40
	.ascii	"PE\0\0"
	.short	PE_MACHINE_ARM64
	.short	(.Lsections_end - .Lsections) / 40
	.long	0			/* TimeDateStamp */
	.long	0, 0			/* symbol table: none */
	.short	.Lsections - .Lopt_header
	.short	PE_FILE_FLAGS

.Lopt_header:
	.short	PE_OPT_MAGIC_PE32PLUS
	.byte	0, 0			/* linker version */
	.long	_text_end - .Limage - PE_HEADERS_SIZE	/* SizeOfCode */
	.long	0			/* SizeOfInitializedData: tools/pe_image.py */
	.long	0			/* SizeOfUninitializedData */
	.long	efi_entry - .Limage	/* AddressOfEntryPoint */
	.long	PE_HEADERS_SIZE		/* BaseOfCode */
	.quad	0			/* ImageBase: the loader relocates nothing */
	.long	PE_SECTION_ALIGN
	.long	PE_FILE_ALIGN
	.short	0, 0, 0, 0		/* OS and image versions */
	.short	0, 0			/* subsystem version */
	.long	0			/* Win32VersionValue */
	.long	0			/* SizeOfImage: tools/pe_image.py */
	.long	PE_HEADERS_SIZE		/* SizeOfHeaders */
	.long	0			/* CheckSum */
	.short	PE_SUBSYSTEM_EFI_APP
	.short	0			/* DllCharacteristics */
	.quad	0, 0, 0, 0		/* stack and heap reserve/commit */
	.long	0			/* LoaderFlags */
	.long	(.Lsections - .Ldirs) / 8	/* NumberOfRvaAndSizes */
.Ldirs:
	/* export, import, resource, exception, certificate, base relocation: none */
	.quad	0, 0, 0, 0, 0, 0

.Lsections:
	.ascii	".text\0\0\0"
	.long	_text_end - .Limage - PE_HEADERS_SIZE	/* VirtualSize */
	.long	PE_HEADERS_SIZE				/* VirtualAddress */
	.long	_text_end - .Limage - PE_HEADERS_SIZE	/* SizeOfRawData */
	.long	PE_HEADERS_SIZE				/* PointerToRawData */
	.long	0, 0			/* relocations, line numbers */
	.short	0, 0
	.long	PE_SCN_CODE

	/* from the end of the code to the end of the image: tools/pe_image.py sizes it */
	.ascii	".data\0\0\0"
	.long	0			/* VirtualSize */
	.long	_text_end - .Limage	/* VirtualAddress */
	.long	0			/* SizeOfRawData */
	.long	_text_end - .Limage	/* PointerToRawData */
	.long	0, 0
	.short	0, 0
	.long	PE_SCN_DATA
.Lsections_end:
