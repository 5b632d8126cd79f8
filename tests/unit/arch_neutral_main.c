/*
 * The entry point of the arch-neutral link check (see build.mk): every source
 * outside arch/ linked with the fake arch into one program. It only has to
 * link; running it proves nothing, so it does nothing.
 */
int main(void)
{
	return 0;
}
