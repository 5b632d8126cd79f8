/*
 * What a VM's devices ask of their VM: memory for their state, and the roles
 * a device takes on when it is created (the console that typed input goes
 * to, the power button `shutdown` presses).
 */
#include "core/vm.h"

void *vm_dev_alloc(struct vm *vm, u64 size)
{
	return dev_arena_alloc(&vm->dev_mem, size);
}

struct vdev *vm_console_device(const struct vm *vm)
{
	return vm->console_dev;
}

void vm_set_console_device(struct vm *vm, struct vdev *d, bool (*input)(struct vdev *d, u8 c))
{
	vm->console_dev = d;
	vm->console_input = input;
}

struct vdev *vm_power_button_device(const struct vm *vm)
{
	return vm->power_dev;
}

void vm_set_power_button_device(struct vm *vm, struct vdev *d, void (*press)(struct vdev *d))
{
	vm->power_dev = d;
	vm->power_press = press;
}

bool vm_console_input(struct vm *vm, u8 c)
{
	/* with nothing to take it, the byte is lost, as on a board without a UART */
	return vm->console_input ? vm->console_input(vm->console_dev, c) : true;
}
