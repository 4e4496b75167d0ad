export { Ext2Fs, Ext2CorruptError, Ext2NoSpaceError, type Ext2MountOptions, type Ext2ErrorReport } from './fs.js';
export { Ext2Inode, Ext2File, Ext2Symlink, Ext2Special, encodeDev, decodeInodeDev } from './inode.js';
export { Ext2Dir } from './dir.js';
