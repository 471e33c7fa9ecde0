export { listUsers, type TUserRow } from "./list-users";
export { setUserActive, ZSetUserActive, type TSetUserActive } from "./set-user-active";
