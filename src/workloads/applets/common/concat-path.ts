// libbb's concat_path_file: a directory's entry as busybox names it when it
// walks a tree (find, grep -r, diff -r): the directory as given, a slash
// unless it ends in one, and the name. `grep -r x .` says ./f, `d//` d//f.
export const concatPath = (dir: string, name: string): string => (dir.endsWith('/') ? dir + name : `${dir}/${name}`);
