export { Ext2Fs, Ext2CorruptError } from './fs.js';
export { Ext2Inode, Ext2File, Ext2Dir, Ext2Symlink, Ext2Special, encodeDev, decodeInodeDev } from './inode.js';
